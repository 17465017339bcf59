# Finds every third-party dependency; all come from Debian packages (scripts/install-deps.sh)
# or, for LibTorch 2.x + CUDA, from a PyTorch install passed through CMAKE_PREFIX_PATH.
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_package(LibArchive REQUIRED)

pkg_check_modules(XCODEC_FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil
                  libswresample)
pkg_check_modules(XCODEC_SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(XCODEC_SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(XCODEC_PNG REQUIRED IMPORTED_TARGET libpng)
add_library(xcodec::ffmpeg ALIAS PkgConfig::XCODEC_FFMPEG)
add_library(xcodec::soxr ALIAS PkgConfig::XCODEC_SOXR)
add_library(xcodec::sndfile ALIAS PkgConfig::XCODEC_SNDFILE)
add_library(xcodec::png ALIAS PkgConfig::XCODEC_PNG)

# TorchConfig puts -D_GLIBCXX_USE_CXX11_ABI=... into TORCH_CXX_FLAGS; everything linking
# LibTorch must agree on it.
set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")
message(STATUS "xcodec: LibTorch ${Torch_VERSION} (${TORCH_INSTALL_PREFIX})")

# A precompiled header with the LibTorch C++ frontend: one ~20 s parse per target instead of
# one per translation unit.
function(xcodec_torch_pch target)
  if(XCODEC_PCH)
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/torch_pch.h)
  endif()
endfunction()
