//===- PruneBase.td - The prune dialect --------------------*- tablegen -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_DIALECT_PRUNE_PRUNEBASE_TD
#define PRUNE_OPT_DIALECT_PRUNE_PRUNEBASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def Prune_Dialect : Dialect {
  let name = "prune";
  let cppNamespace = "::mlir::prune";
  let summary = "The IR contract between prune-opt's passes";
  let description = [{
    Attributes only: the `prune` dialect defines no operations and no types.
    Its attributes are how prune-opt's passes talk to each other, and how a
    pruned model carries its decisions to other toolchains:

    * `prune.decision = #prune.decision<...>`, written by `nn-prune` on the
      constant holding a pruned weight (and copied by `nn-sparsify` onto the
      `sparse_tensor.assemble` op that replaces it): how the weight was
      pruned and what came out.
    * `prune.layout = #prune.layout<...>`, written by `nn-sparsify` on the
      same op: the storage the layout policy chose, once, for every backend
      to materialize.
    * `prune.gpu_call = #prune.gpu_call<...>`, written by
      `nn-lower-kernels{target=gpu}` on the declaration of a GPU layer call
      and consumed inside `nn-lower-gpu` (never in a pruned model).
    * `prune.weight_files = ["a.safetensors", ...]` on a `builtin.module`:
      where its weights are when they are not in the IR. A
      `dense_resource<key>` without a blob is the tensor `key` of the first
      listed file that has it (read a weight at a time, mapped); passes put
      the files of the tensors they create first (`nn-store-weights`
      compacts them into one). Kept by `--nn-strip-annotations`.

    All are discardable attributes; the dialect verifies every `prune.*`
    attribute on any operation. Stock MLIR tools read a pruned model after
    `--nn-strip-annotations` (drops them), with `--allow-unregistered-dialect`
    or with `--load-dialect-plugin=PruneOptPlugin.so`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The names of the discardable attributes.
    static constexpr ::llvm::StringLiteral kDecisionAttrName = "prune.decision";
    static constexpr ::llvm::StringLiteral kLayoutAttrName = "prune.layout";
    static constexpr ::llvm::StringLiteral kGpuCallAttrName = "prune.gpu_call";
  }];
}

class Prune_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Prune_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // PRUNE_OPT_DIALECT_PRUNE_PRUNEBASE_TD
