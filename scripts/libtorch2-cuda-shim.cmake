# Included after project() by scripts/check-libtorch2-cuda-build.sh. PyTorch 2.6's CMake config
# links torch::nvtoolsext to CUDA::nvToolsExt, a library that CUDA 13 toolkits no longer ship
# (NVTX is header-only there); an empty target stands in for it.
if(NOT TARGET CUDA::nvToolsExt)
  add_library(CUDA::nvToolsExt INTERFACE IMPORTED GLOBAL)
endif()
