# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "PRUNE_OPT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "consumer", "lib", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.prune_opt_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["prune-opt", "prune-run", "prune-gpu-run", "mlir-opt", "mlir-translate", "mlir-tblgen"]
# An ASan+UBSan build (-DPRUNE_OPT_SANITIZE=ON, scripts/sanitize-test.sh):
# our executables carry the sanitizer runtime; libPruneOptKernels.so is
# instrumented too and leaves the runtime to the process that loads it, so
# the uninstrumented mlir-runner gets it preloaded, and C programs linked
# against the library are built with %sanitize_cflags. A sanitizer report
# fails the test (UBSan does not recover; ASan/LSan exit non-zero).
sanitize_cflags = ""
mlir_runner = "mlir-runner"
if getattr(config, "prune_opt_sanitize", False):
    config.available_features.add("sanitize")
    sanitize_cflags = "-fsanitize=address,undefined -fno-sanitize-recover=all"
    # Leak checking is on and needs no suppressions today (libMLIR/libLLVM
    # leak nothing LSan sees in our tools); add an LSAN_OPTIONS suppressions
    # file for upstream leaks only, if one ever appears.
    # allocator_may_return_null: an impossible allocation fails as it does
    # without ASan (tests of oversized inputs check the error path).
    # allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons the free part
    # of each slab in instrumented code only. The prune dialect's attribute
    # storage is allocated by our (instrumented) code from the context's
    # allocator, which uninstrumented libMLIR allocates from too, without
    # unpoisoning: every later MLIR attribute in that slab would read as
    # use-after-poison. See sanitize-test.sh.
    config.environment["ASAN_OPTIONS"] = (
        "detect_leaks=1:allocator_may_return_null=1:allow_user_poisoning=0")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    mlir_runner = ToolSubst(
        "mlir-runner",
        command="env LD_PRELOAD=%s %s" % (
            config.asan_runtime,
            os.path.join(config.llvm_tools_dir, "mlir-runner")))
config.substitutions.append(("%sanitize_cflags", sanitize_cflags))
llvm_config.add_tool_substitutions(
    tools + [mlir_runner], [config.prune_opt_tools_dir, config.llvm_tools_dir])

# The CUDA toolkit (CMake found nvcc and cuBLAS: PRUNE_OPT_HAVE_CUDA): tests
# that say `REQUIRES: cuda` compile device code (nvcc, ptxas, fatbinary)
# and run the GPU runtime's host side; none needs a GPU (test/Gpu).
config.substitutions.append(
    ("%gpu_src", os.path.join(config.prune_opt_src_root, "lib", "GpuRuntime")))
if getattr(config, "prune_opt_cuda", False):
    config.available_features.add("cuda")
    config.substitutions.append(("%nvcc", config.cuda_nvcc))
    for tool in ["ptxas", "fatbinary"]:
        config.substitutions.append(
            ("%" + tool, os.path.join(config.cuda_bin_dir, tool)))
    config.substitutions.append(
        ("%cuda_toolkit", os.path.dirname(config.cuda_bin_dir)))
    # clang++ compiling CUDA device code without the CUDA headers (how the
    # kernels become LLVM IR without nvcc; lib/GpuRuntime/ClangCudaPrelude.h);
    # the toolkit is still found for the PTX version (ptxas assembles it).
    config.substitutions.append(
        ("%clang_cuda_device",
         os.path.join(config.llvm_tools_dir, "clang++") +
         " -x cuda --cuda-device-only -nocudainc -nocudalib"
         " -Wno-unknown-cuda-version"))
    # `gpu`: a driver that lists a GPU (`nvidia-smi -L`). Tests of what
    # happens without one say `UNSUPPORTED: gpu`.
    import subprocess

    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True,
                                text=True, timeout=30)
        if listed.returncode == 0 and "GPU" in listed.stdout:
            config.available_features.add("gpu")
    except (OSError, subprocess.SubprocessError):
        pass

# Tests that make device nodes (mknod) need root.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    config.available_features.add("root")

config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
config.substitutions.append(("%llvm_include", config.llvm_include_dir))
config.substitutions.append(("%prune_src", config.prune_opt_src_root))
# The kernel library nn-lower-kernels calls (`nn-lower-cpu` default).
kernels_dir = os.path.join(config.prune_opt_obj_root, "lib")
config.substitutions.append(("%kernels_lib_dir", kernels_dir))
config.substitutions.append(
    ("%runner_libs",
     ",".join([os.path.join(config.mlir_lib_dir, lib) for lib in
               ["libmlir_runner_utils.so", "libmlir_c_runner_utils.so"]] +
              [os.path.join(kernels_dir, "libPruneOptKernels.so")])))

# Integration into other toolchains (test/Install): the mlir-opt plugin,
# the build tree (what `cmake --install` installs from), the Python package.
import shutil

config.substitutions.append(
    ("%plugin", os.path.join(kernels_dir, "PruneOptPlugin.so")))
config.substitutions.append(("%prune_obj", config.prune_opt_obj_root))
config.substitutions.append(
    ("%prune_py", os.path.join(config.prune_opt_src_root, "python")))
config.environment["PRUNE_OPT_LIB"] = kernels_dir
# The benchmark targets (built with the rest when OpenBLAS is there): a
# smoke test keeps their documented commands working.
if config.prune_opt_bench:
    config.available_features.add("bench")
    llvm_config.add_tool_substitutions(
        ["prune-bench", "prune-hessian-bench"], [config.prune_opt_tools_dir])
if shutil.which("cmake"):
    config.available_features.add("cmake")
try:
    import numpy  # noqa: F401 (the lit process's python is %python)
    config.available_features.add("numpy")
except ImportError:
    pass

# Real models live beside the repository in ../shared/models (not part of
# it). Tests that need them say `REQUIRES: models`; the feature is set only
# when every model file a test names (`%models/<path>` in any test file) is
# there. Otherwise those tests are reported as UNSUPPORTED (skipped), unless
# PRUNE_OPT_REQUIRE_MODELS=1 (set by .ci/run): then a missing file is a fatal
# error and the run fails.
import re

models = os.environ.get(
    "PRUNE_OPT_MODELS",
    os.path.join(config.prune_opt_src_root, "..", "shared", "models"))
models = os.path.abspath(models)


def model_files_used(root):
    used = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            if os.path.splitext(name)[1] not in config.suffixes:
                continue
            with open(os.path.join(dirpath, name), errors="replace") as f:
                used.update(re.findall(r"%models/([A-Za-z0-9_./-]+)", f.read()))
    return sorted(used)


model_files = model_files_used(config.test_source_root)
missing = [f for f in model_files
           if not os.path.isfile(os.path.join(models, f))]
if not model_files:
    lit_config.fatal("no test names a %models/ file: the scan in lit.cfg.py "
                     "is broken")
if not missing:
    config.available_features.add("models")
elif os.environ.get("PRUNE_OPT_REQUIRE_MODELS", "0") not in ("", "0"):
    lit_config.fatal(
        "PRUNE_OPT_REQUIRE_MODELS is set but model files are missing from %s: "
        "%s" % (models, ", ".join(missing)))
else:
    lit_config.note("model files missing from %s (%s): the tests that need "
                    "them are skipped" % (models, ", ".join(missing)))
config.substitutions.append(("%models", models))
