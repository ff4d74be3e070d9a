# LibTorch comes from PyTorch's wheel (packaging/setup-debian.sh installs it into a virtual
# environment): unless Torch_DIR or CMAKE_PREFIX_PATH already lead to a TorchConfig.cmake, ask
# that environment's Python (or the one on PATH, as on a GPU server with PyTorch) for torch's
# own cmake prefix. A macro, so find_package's imported targets land in the caller's scope.
set(DERMREADER_TORCH_PYTHON "/opt/dermreader/torch-venv/bin/python"
    CACHE FILEPATH "The Python whose torch package provides LibTorch")

macro(dermreader_find_torch)
  find_package(Torch QUIET)
  if(NOT Torch_FOUND)
    foreach(_python IN ITEMS "${DERMREADER_TORCH_PYTHON}" python3)
      execute_process(
        COMMAND "${_python}" -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
        OUTPUT_VARIABLE _torch_prefix RESULT_VARIABLE _torch_rc
        OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_torch_rc EQUAL 0 AND EXISTS "${_torch_prefix}/Torch/TorchConfig.cmake")
        set(Torch_DIR "${_torch_prefix}/Torch" CACHE PATH "LibTorch's cmake folder" FORCE)
        break()
      endif()
    endforeach()
    find_package(Torch REQUIRED)
  endif()
  message(STATUS "LibTorch ${Torch_VERSION} from ${Torch_DIR}"
                 " (CUDA: ${TORCH_CUDA_LIBRARIES})")
endmacro()
