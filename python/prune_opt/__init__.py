"""prune-opt from Python: compile a model file and call it.

    import prune_opt
    m = prune_opt.compile("model.mlir", pipeline="nn-prune{sparsity=0.9},nn-sparsify")
    y = m(x)

Pure Python over the C API (libPruneOptC.so, include/prune-opt-c/PruneOpt.h)
through ctypes. Inputs may be flat or nested lists, array.array, anything
with the buffer protocol, or numpy arrays; outputs are numpy float32 arrays
when numpy is importable, else nested lists of floats shaped like the
result. A model with one result returns it; several results come as a tuple.

libPruneOptC.so is found, in order: $PRUNE_OPT_LIB (the file, or its
directory), <install prefix>/lib beside this package (prefix/python/prune_opt),
the build tree of a source checkout (build/lib), then the loader's path.
"""

import ctypes
import os

__all__ = ["compile", "Model", "PruneOptError", "library_path", "version"]


class PruneOptError(RuntimeError):
    """A model failed to parse, compile or run (the message says why)."""


_LIB_NAME = "libPruneOptC.so"


def _candidates():
    env = os.environ.get("PRUNE_OPT_LIB")
    if env:
        yield os.path.join(env, _LIB_NAME) if os.path.isdir(env) else env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # Installed: <prefix>/python/prune_opt -> <prefix>/lib.
    yield os.path.join(here, "..", "..", "lib", _LIB_NAME)
    # Source checkout: python/prune_opt -> build/lib.
    yield os.path.join(here, "..", "..", "build", "lib", _LIB_NAME)
    yield _LIB_NAME


_lib = None
_lib_path = None


def _load():
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append("%s: no such file" % path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
            continue
        _declare(lib)
        _lib, _lib_path = lib, os.path.abspath(path) if os.sep in path else path
        return lib
    raise PruneOptError("cannot load %s (set PRUNE_OPT_LIB): %s"
                        % (_LIB_NAME, "; ".join(errors)))


def _declare(lib):
    M = ctypes.c_void_p
    P = ctypes.c_char_p
    err = ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "prune_opt_compile_entry": (M, [P, P, P, err]),
        "prune_opt_entry": (P, [M]),
        "prune_opt_num_inputs": (ctypes.c_int, [M]),
        "prune_opt_num_outputs": (ctypes.c_int, [M]),
        "prune_opt_input_rank": (ctypes.c_int, [M, ctypes.c_int]),
        "prune_opt_input_shape": (ctypes.POINTER(ctypes.c_int64), [M, ctypes.c_int]),
        "prune_opt_input_size": (ctypes.c_int64, [M, ctypes.c_int]),
        "prune_opt_input_type": (P, [M, ctypes.c_int]),
        "prune_opt_output_rank": (ctypes.c_int, [M, ctypes.c_int]),
        "prune_opt_output_shape": (ctypes.POINTER(ctypes.c_int64), [M, ctypes.c_int]),
        "prune_opt_output_size": (ctypes.c_int64, [M, ctypes.c_int]),
        "prune_opt_output_type": (P, [M, ctypes.c_int]),
        "prune_opt_constant_bytes": (ctypes.c_int64, [M]),
        "prune_opt_run": (ctypes.c_int, [M, ctypes.c_void_p, ctypes.c_void_p, err]),
        "prune_opt_free": (None, [M]),
        "prune_opt_free_string": (None, [ctypes.c_void_p]),
        "prune_opt_version": (P, []),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def _take_error(lib, ptr):
    if not ptr.value:
        return "unknown error"
    message = ctypes.string_at(ptr.value).decode("utf-8", "replace")
    lib.prune_opt_free_string(ptr)
    return message


try:
    import numpy as _np
except ImportError:  # numpy is optional
    _np = None


def _flatten(x, out):
    if isinstance(x, (list, tuple)):
        for v in x:
            _flatten(v, out)
    else:
        out.append(float(x))


def _to_floats(x, size, index):
    """A ctypes float array of `size` elements from x."""
    if _np is not None and not isinstance(x, (list, tuple)):
        a = _np.ascontiguousarray(x, dtype=_np.float32)
        if a.size != size:
            raise PruneOptError("input %d has %d elements, the model takes %d"
                                % (index, a.size, size))
        buf = (ctypes.c_float * size)()
        ctypes.memmove(buf, a.ctypes.data, size * 4)
        return buf
    flat = []
    if isinstance(x, (list, tuple)):
        _flatten(x, flat)
    else:
        try:
            _flatten(memoryview(x).tolist(), flat)  # array.array, buffers
        except TypeError:
            _flatten(list(x), flat)
    if len(flat) != size:
        raise PruneOptError("input %d has %d elements, the model takes %d"
                            % (index, len(flat), size))
    return (ctypes.c_float * size)(*flat)


def _nest(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:])
            for i in range(shape[0])]


class Model:
    """A compiled model (see compile())."""

    def __init__(self, handle, lib):
        self._h = handle
        self._lib = lib
        n_in = lib.prune_opt_num_inputs(handle)
        n_out = lib.prune_opt_num_outputs(handle)
        self.entry = lib.prune_opt_entry(handle).decode()
        self.input_shapes = [tuple(lib.prune_opt_input_shape(handle, i)[d]
                                   for d in range(lib.prune_opt_input_rank(handle, i)))
                             for i in range(n_in)]
        self.output_shapes = [tuple(lib.prune_opt_output_shape(handle, i)[d]
                                    for d in range(lib.prune_opt_output_rank(handle, i)))
                              for i in range(n_out)]
        self.input_types = [lib.prune_opt_input_type(handle, i).decode()
                            for i in range(n_in)]
        self.output_types = [lib.prune_opt_output_type(handle, i).decode()
                             for i in range(n_out)]
        self._in_sizes = [lib.prune_opt_input_size(handle, i) for i in range(n_in)]
        self._out_sizes = [lib.prune_opt_output_size(handle, i) for i in range(n_out)]
        self.constant_bytes = lib.prune_opt_constant_bytes(handle)

    def run(self, *inputs):
        """Calls the model; returns a list with one entry per result."""
        if self._h is None:
            raise PruneOptError("the model was closed")
        if len(inputs) != len(self._in_sizes):
            raise PruneOptError("the model takes %d inputs, got %d"
                                % (len(self._in_sizes), len(inputs)))
        ins = [_to_floats(x, n, i) for i, (x, n) in
               enumerate(zip(inputs, self._in_sizes))]
        outs = [(ctypes.c_float * n)() for n in self._out_sizes]
        in_ptrs = (ctypes.c_void_p * max(1, len(ins)))(
            *[ctypes.cast(b, ctypes.c_void_p) for b in ins])
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(
            *[ctypes.cast(b, ctypes.c_void_p) for b in outs])
        err = ctypes.c_void_p()
        if self._lib.prune_opt_run(self._h, in_ptrs, out_ptrs,
                                   ctypes.byref(err)) != 0:
            raise PruneOptError(_take_error(self._lib, err))
        results = []
        for buf, shape in zip(outs, self.output_shapes):
            if _np is not None:
                results.append(_np.frombuffer(buf, dtype=_np.float32)
                               .reshape(shape).copy())
            else:
                results.append(_nest(list(buf), list(shape)))
        return results

    def __call__(self, *inputs):
        results = self.run(*inputs)
        return results[0] if len(results) == 1 else tuple(results)

    def close(self):
        if self._h is not None:
            self._lib.prune_opt_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<prune_opt.Model %s %s -> %s>" % (
            self.entry, self.input_shapes, self.output_shapes)


def compile(model_path, pipeline="", entry=None):
    """Compiles `model_path` (MLIR text or bytecode) through `pipeline`
    (e.g. "nn-prune{sparsity=0.9},nn-sparsify") and nn-lower-cpu, JIT.
    `entry`: the public function to call (default: the first one)."""
    lib = _load()
    err = ctypes.c_void_p()
    handle = lib.prune_opt_compile_entry(
        os.fsencode(model_path), entry.encode() if entry else None,
        pipeline.encode() if pipeline else None, ctypes.byref(err))
    if not handle:
        raise PruneOptError(_take_error(lib, err))
    return Model(handle, lib)


def library_path():
    """The libPruneOptC.so this package loaded."""
    _load()
    return _lib_path


def version():
    return _load().prune_opt_version().decode()
