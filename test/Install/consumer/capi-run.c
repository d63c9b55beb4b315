/* capi-run MODEL PIPELINE: compiles MODEL with the C API, calls it once on
 * a fixed input (x[i] = ((i % 7) - 3) / 4, like examples/call_mlp.c) and
 * prints the signature and the first output. Errors are printed, not
 * aborted on. */
#include "prune-opt-c/PruneOpt.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: capi-run MODEL PIPELINE\n");
    return 1;
  }
  char *error = NULL;
  prune_opt_model *m = prune_opt_compile(argv[1], argv[2], &error);
  if (!m) {
    printf("error: %s\n", error);
    prune_opt_free_string(error);
    return 1;
  }
  printf("entry %s inputs %d outputs %d\n", prune_opt_entry(m),
         prune_opt_num_inputs(m), prune_opt_num_outputs(m));
  int64_t n = prune_opt_input_size(m, 0), k = prune_opt_output_size(m, 0);
  const int64_t *shape = prune_opt_output_shape(m, 0);
  printf("output 0: %s rank %d shape %lldx%lld\n", prune_opt_output_type(m, 0),
         prune_opt_output_rank(m, 0), (long long)shape[0], (long long)shape[1]);
  float *x = malloc(n * sizeof(float)), *y = malloc(k * sizeof(float));
  for (int64_t i = 0; i < n; ++i)
    x[i] = (float)((i % 7) - 3) / 4;
  const float *ins[1] = {x};
  float *outs[1] = {y};
  if (prune_opt_run(m, ins, outs, &error) != 0) {
    printf("error: %s\n", error);
    prune_opt_free_string(error);
    return 1;
  }
  printf("y =");
  for (int64_t j = 0; j < k; ++j)
    printf(" %.6g", y[j]);
  printf("\n");
  free(x);
  free(y);
  prune_opt_free(m);
  return 0;
}
