// PoCL and most drivers speak OpenCL C 1.2; targeting 1.2 keeps clCreateCommandQueue undeprecated.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
