// cblas.h from Debian's libopenblas-dev (found on the default include path via alternatives);
// it also declares openblas_set_num_threads and friends.
#include <cblas.h>
