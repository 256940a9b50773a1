// libpng's simplified API (no setjmp needed from Swift) and libjpeg-turbo's TurboJPEG API.
#include <png.h>
#include <turbojpeg.h>
