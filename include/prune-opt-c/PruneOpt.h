/*===- prune-opt-c/PruneOpt.h - C API of prune-opt -----------------*- C -*-===*
 *
 * Part of the prune-opt project.
 *
 *===----------------------------------------------------------------------===*
 *
 * Compile a model file (MLIR, linalg-on-tensors or TOSA) through a
 * prune-opt pipeline and nn-lower-cpu, JIT it, and call it with float
 * buffers. Library: libPruneOptC.so (CMake: PruneOpt::PruneOptC).
 *
 * No function aborts the caller on bad input: failures return NULL or a
 * non-zero status and, when `error` is not NULL, a message in *error that
 * the caller releases with prune_opt_free_string(). Diagnostics of the MLIR
 * parser and of failing passes are part of that message.
 *
 * Tensors cross the API as dense row-major float (f32) buffers whatever the
 * entry's element type (f32, f64, f16, bf16, i8, i32, i64): values are
 * converted on the way in and out. A handle may be used from one thread at
 * a time; distinct handles are independent.
 *
 *===----------------------------------------------------------------------===*/

#ifndef PRUNE_OPT_C_PRUNEOPT_H
#define PRUNE_OPT_C_PRUNEOPT_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define PRUNE_OPT_C_EXPORT __attribute__((visibility("default")))
#else
#define PRUNE_OPT_C_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A compiled model. */
typedef struct prune_opt_model prune_opt_model;

/* Parses `model_path`, runs `pipeline` (textual, e.g.
 * "nn-prune{sparsity=0.9},nn-sparsify"; NULL or "" for none) and then
 * nn-lower-cpu (unless the pipeline ends with its own `nn-lower-cpu{...}`),
 * and JIT-compiles the first public function with a body. */
PRUNE_OPT_C_EXPORT prune_opt_model *
prune_opt_compile(const char *model_path, const char *pipeline, char **error);

/* The same for the public function `entry` (NULL: the first one). */
PRUNE_OPT_C_EXPORT prune_opt_model *
prune_opt_compile_entry(const char *model_path, const char *entry,
                        const char *pipeline, char **error);

/* Name of the compiled entry function (owned by the model). */
PRUNE_OPT_C_EXPORT const char *prune_opt_entry(const prune_opt_model *model);

/* Number of entry arguments / results. */
PRUNE_OPT_C_EXPORT int prune_opt_num_inputs(const prune_opt_model *model);
PRUNE_OPT_C_EXPORT int prune_opt_num_outputs(const prune_opt_model *model);

/* Rank, dimensions (owned by the model; `rank` values), number of elements
 * and element type name ("f32", "i64", ...) of argument / result `index`;
 * -1, NULL or "" for an index out of range. */
PRUNE_OPT_C_EXPORT int prune_opt_input_rank(const prune_opt_model *model,
                                            int index);
PRUNE_OPT_C_EXPORT const int64_t *
prune_opt_input_shape(const prune_opt_model *model, int index);
PRUNE_OPT_C_EXPORT int64_t prune_opt_input_size(const prune_opt_model *model,
                                                int index);
PRUNE_OPT_C_EXPORT const char *
prune_opt_input_type(const prune_opt_model *model, int index);
PRUNE_OPT_C_EXPORT int prune_opt_output_rank(const prune_opt_model *model,
                                             int index);
PRUNE_OPT_C_EXPORT const int64_t *
prune_opt_output_shape(const prune_opt_model *model, int index);
PRUNE_OPT_C_EXPORT int64_t prune_opt_output_size(const prune_opt_model *model,
                                                 int index);
PRUNE_OPT_C_EXPORT const char *
prune_opt_output_type(const prune_opt_model *model, int index);

/* Bytes of the compiled model's constant data (weights as stored). */
PRUNE_OPT_C_EXPORT int64_t
prune_opt_constant_bytes(const prune_opt_model *model);

/* Calls the model: inputs[i] holds prune_opt_input_size(model, i) floats,
 * outputs[i] has room for prune_opt_output_size(model, i) floats. Returns 0
 * on success. */
PRUNE_OPT_C_EXPORT int prune_opt_run(prune_opt_model *model,
                                     const float *const *inputs,
                                     float *const *outputs, char **error);

/* Releases a model (NULL is fine). */
PRUNE_OPT_C_EXPORT void prune_opt_free(prune_opt_model *model);

/* Releases a message returned through `error` (NULL is fine). */
PRUNE_OPT_C_EXPORT void prune_opt_free_string(char *string);

/* The prune-opt version, e.g. "0.1". */
PRUNE_OPT_C_EXPORT const char *prune_opt_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PRUNE_OPT_C_PRUNEOPT_H */
