//===- LowerGpuCalls.cpp - The nn-lower-gpu-calls pass --------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Defines the GPU layer calls that nn-lower-kernels{target=gpu} leaves as
// declarations with a #prune.gpu_call: device buffers, copies, resident
// weights and gpu.launch_func of the project's kernels in a gpu.module
// linked with their bitcode. It runs after bufferization and buffer
// deallocation because MLIR 22's ownership-based deallocation rejects ops
// with unknown memory effects (gpu.wait, gpu.launch_func; regression test:
// test/Upstream/dealloc-gpu-ops.mlir), so the GPU ops must not exist yet
// when it runs.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Dialect/Prune/PruneDialect.h"
#include "prune-opt/GpuRuntime/GpuPlan.h"
#include "prune-opt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>

namespace mlir::prune {
#define GEN_PASS_DEF_NNLOWERGPUCALLS
#include "prune-opt/Transforms/Passes.h.inc"
} // namespace mlir::prune

using namespace mlir;
using namespace mlir::prune;
namespace gpuplan = ::pruneopt::gpu;

namespace {
struct NNLowerGpuCallsPass
    : public mlir::prune::impl::NNLowerGpuCallsBase<NNLowerGpuCallsPass> {
  using Base::Base;
  PRUNE_OPT_CHECKED_OPTIONS("nn-lower-gpu-calls")

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<func::FuncOp, GpuCallAttr>> calls;
    for (auto f : module.getOps<func::FuncOp>())
      if (auto call =
              f->getAttrOfType<GpuCallAttr>(PruneDialect::kGpuCallAttrName))
        calls.push_back({f, call});
    if (chip != "sm_80" && chip != "sm_90") {
      emitError(module.getLoc())
          << "nn-lower-gpu-calls: option 'chip' must be sm_80 or sm_90 (the "
             "chips the kernels' bitcode is built for), got '"
          << chip << "'";
      return signalPassFailure();
    }
    if (!gpuplan::isRowBlockSize(blockThreads)) {
      emitError(module.getLoc())
          << "nn-lower-gpu-calls: option 'block-threads' must be a multiple "
             "of 32 from 32 to 1024, got "
          << int64_t(blockThreads);
      return signalPassFailure();
    }
    if (calls.empty())
      return;
    if (failed(findBitcode()))
      return signalPassFailure();
    gpuModule = nullptr;
    // The sparse tensor core kernels' mma.sp::ordered_metadata is PTX ISA
    // 8.5 (SparseTensorCore.cuh); MLIR's NVPTX backend otherwise writes the
    // chip's oldest PTX version (7.0 for sm_80, 7.8 for sm_90).
    ptxFeatures = "";
    for (auto [f, call] : calls)
      if (gpuplan::isSptcLayout(call.getLayout().str()))
        ptxFeatures = "+ptx85";
    for (auto [f, call] : calls) {
      if (failed(checkSignature(f, call)))
        return signalPassFailure();
      defineCall(f, call);
      ++numCalls;
    }
  }

  gpu::GPUModuleOp gpuModule;
  std::string bitcodePath;
  std::string ptxFeatures;

  /// Finds the kernels' bitcode: option bitcode, else
  /// prune-opt/PruneGpuKernels.<chip>.bc in the lib directory of the binary
  /// that holds this pass (a tool in bin/ or a library in lib/), else in
  /// the build tree that built it.
  LogicalResult findBitcode() {
    std::string file = "PruneGpuKernels." + chip + ".bc";
    SmallVector<std::string> candidates;
    if (!bitcode.empty()) {
      candidates.push_back(bitcode);
    } else {
      Dl_info info;
      static int anchor;
      if (::dladdr(&anchor, &info) && info.dli_fname) {
        SmallString<256> dir(info.dli_fname);
        llvm::sys::fs::make_absolute(dir);
        llvm::sys::path::remove_filename(dir);
        SmallString<256> lib(dir), up(dir);
        llvm::sys::path::append(lib, "prune-opt", file);
        llvm::sys::path::append(up, "..", "lib", "prune-opt", file);
        candidates.push_back(std::string(lib));
        candidates.push_back(std::string(up));
      }
#ifdef PRUNE_OPT_GPU_BITCODE_DIR
      candidates.push_back(std::string(PRUNE_OPT_GPU_BITCODE_DIR "/") + file);
#endif
    }
    for (const std::string &c : candidates) {
      SmallString<256> real;
      if (llvm::sys::fs::exists(c) && !llvm::sys::fs::real_path(c, real)) {
        bitcodePath = std::string(real);
        return success();
      }
    }
    InFlightDiagnostic diag = emitError(getOperation().getLoc())
                              << "nn-lower-gpu-calls: the GPU kernels' "
                                 "bitcode for "
                              << chip << " was not found";
    for (const std::string &c : candidates)
      diag.attachNote() << "not at " << c;
    diag.attachNote() << "it is built with the project (lib/prune-opt/"
                      << file << "); option bitcode=PATH names it";
    return failure();
  }

  /// The declaration's arguments are y, x (2-D f32 memrefs), the arrays
  /// (1-D memrefs) and the bias (1-D f32), as nn-lower-kernels makes them.
  LogicalResult checkSignature(func::FuncOp f, GpuCallAttr call) {
    if (!f.isExternal())
      return f.emitError("nn-lower-gpu-calls: a #prune.gpu_call function "
                         "must be a declaration");
    TypeRange in = f.getArgumentTypes();
    size_t arrays = call.getArrayBytes().size();
    auto memrefOfRank = [](Type t, int64_t rank) {
      auto m = dyn_cast<MemRefType>(t);
      return m && m.getRank() == rank;
    };
    bool ok = f.getNumResults() == 0 && in.size() == 3 + arrays &&
              memrefOfRank(in[0], 2) && memrefOfRank(in[1], 2) &&
              memrefOfRank(in.back(), 1);
    for (size_t i = 0; ok && i < arrays; ++i)
      ok = memrefOfRank(in[2 + i], 1);
    if (!ok)
      return f.emitError("nn-lower-gpu-calls: expected (y: memref<?x?xf32>, "
                         "x: memref<?x?xf32>, ")
             << arrays << " weight arrays: memref<?xT>, bias: memref<?xf32>)";
    return success();
  }

  /// The address of a memref's first element as !llvm.ptr (the memrefs
  /// here have offset 0: fresh buffers and the weights' constants).
  static Value pointerOf(OpBuilder &b, Location loc, Value memref) {
    Value index =
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
    return LLVM::IntToPtrOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext()), i64);
  }

  /// The device copy of a constant array (prune_gpu_resident).
  /// The copy is of the memref's actual bytes (its size at run time times
  /// its element size), not of what the #prune.gpu_call says: a hand-written
  /// declaration cannot make the runtime read past a host array.
  Value residentPointer(OpBuilder &b, Location loc, Value memref) {
    ModuleOp module = getOperation();
    Type ptr = LLVM::LLVMPointerType::get(b.getContext());
    auto decl = module.lookupSymbol<func::FuncOp>("prune_gpu_resident");
    if (!decl) {
      OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
      decl = func::FuncOp::create(
          mb, module.getLoc(), "prune_gpu_resident",
          mb.getFunctionType({ptr, mb.getI64Type()}, {ptr}));
      decl.setPrivate();
    }
    auto type = cast<MemRefType>(memref.getType());
    int64_t elementBytes = (type.getElementTypeBitWidth() + 7) / 8;
    Value count = memref::DimOp::create(b, loc, memref, 0);
    Value bytes = arith::MulIOp::create(
        b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), count),
        arith::ConstantIntOp::create(b, loc, b.getI64Type(), elementBytes));
    return func::CallOp::create(b, loc, decl,
                                ValueRange{pointerOf(b, loc, memref), bytes})
        .getResult(0);
  }

  /// The kernel `entry` of the gpu.module: a gpu.func calling the bitcode's
  /// prune_gpu_<entry> (GpuEntries.def) with its parameters.
  gpu::GPUFuncOp getOrCreateKernel(StringRef entry, unsigned blockSize) {
    MLIRContext *ctx = &getContext();
    ModuleOp module = getOperation();
    if (!gpuModule) {
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(ctx));
      OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
      auto target = NVVM::NVVMTargetAttr::get(
          ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip, ptxFeatures,
          /*targetFlags=*/nullptr,
          mb.getArrayAttr({mb.getStringAttr(bitcodePath)}));
      gpuModule = gpu::GPUModuleOp::create(
          mb, module.getLoc(), "prune_gpu_kernels", mb.getArrayAttr({target}));
    }
    if (auto f = gpuModule.lookupSymbol<gpu::GPUFuncOp>(entry))
      return f;
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b = OpBuilder::atBlockEnd(gpuModule.getBody());
    // PRUNE_GPU_ENTRY_PARAMS (GpuEntries.def): 7 pointers, 7 i64, 1 i32.
    SmallVector<Type> params(7, ptr);
    params.append(7, b.getI64Type());
    params.push_back(b.getI32Type());
    Location loc = gpuModule.getLoc();
    auto device = LLVM::LLVMFuncOp::create(
        b, loc, ("prune_gpu_" + entry).str(),
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), params));
    auto kernel =
        gpu::GPUFuncOp::create(b, loc, entry, b.getFunctionType(params, {}));
    kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                    b.getUnitAttr());
    kernel.setKnownBlockSizeAttr(
        b.getDenseI32ArrayAttr({int32_t(blockSize), 1, 1}));
    b.setInsertionPointToStart(&kernel.getBody().front());
    LLVM::CallOp::create(b, loc, device, kernel.getArguments());
    gpu::ReturnOp::create(b, loc);
    return kernel;
  }

  /// The body of `f`: y (+)= x W^T on the GPU, as the pass description says.
  void defineCall(func::FuncOp f, GpuCallAttr call) {
    MLIRContext *ctx = &getContext();
    Location loc = f.getLoc();
    Block *body = f.addEntryBlock();
    f.setPrivate();
    OpBuilder b = OpBuilder::atBlockBegin(body);
    Value yView = body->getArgument(0), xView = body->getArgument(1);
    Value bias = body->getArguments().back();
    int64_t rows = call.getRows(), cols = call.getCols(),
            batch = call.getBatch();
    bool accumulate = call.getFlags() & 1;
    Type f32 = b.getF32Type(), i64 = b.getI64Type();
    Type ptr = LLVM::LLVMPointerType::get(ctx);

    // Contiguous host staging of x (and y).
    auto xType = MemRefType::get({batch, cols}, f32);
    auto yType = MemRefType::get({batch, rows}, f32);
    Value xHost = memref::AllocOp::create(b, loc, xType);
    memref::CopyOp::create(b, loc, xView, xHost);
    Value yHost = memref::AllocOp::create(b, loc, yType);
    if (accumulate)
      memref::CopyOp::create(b, loc, yView, yHost);

    Type token = gpu::AsyncTokenType::get(ctx);
    Value t = gpu::WaitOp::create(b, loc, token, ValueRange{}).getAsyncToken();
    SmallVector<Value> deviceBuffers;
    auto alloc = [&](MemRefType type) {
      auto op = gpu::AllocOp::create(b, loc, type, token, ValueRange{t},
                                     ValueRange{}, ValueRange{},
                                     /*hostShared=*/false);
      t = op.getAsyncToken();
      deviceBuffers.push_back(op.getMemref());
      return op.getMemref();
    };
    auto copy = [&](Value dst, Value src) {
      t = gpu::MemcpyOp::create(b, loc, token, ValueRange{t}, dst, src)
              .getAsyncToken();
    };
    Value xDev = alloc(xType);
    copy(xDev, xHost);
    Value yDev = alloc(yType);
    if (accumulate)
      copy(yDev, yHost);
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    std::string layout = call.getLayout().str();
    int64_t targetBlocks = gpuplan::planTargetBlocks(chip);
    Value scratch = null;
    if (int64_t floats =
            gpuplan::planScratchFloats(layout, rows, cols, batch, targetBlocks))
      scratch = pointerOf(b, loc, alloc(MemRefType::get({floats}, f32)));

    // PRUNE_GPU_ENTRY_PARAMS: a0..a2, x, y, bias, xT (the scratch), ys, xs,
    // batch, rows, cols, p0, p1 (the step's), flags.
    SmallVector<Value> params;
    ArrayRef<int64_t> arrayBytes = call.getArrayBytes();
    for (unsigned i = 0; i < 3; ++i)
      params.push_back(i < arrayBytes.size()
                           ? residentPointer(b, loc, body->getArgument(2 + i))
                           : null);
    params.push_back(pointerOf(b, loc, xDev));
    params.push_back(pointerOf(b, loc, yDev));
    params.push_back(call.getBias() ? residentPointer(b, loc, bias) : null);
    params.push_back(scratch);
    auto i64Const = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, loc, i64, v);
    };
    for (int64_t v : {rows /*ys*/, cols /*xs*/, batch, rows, cols})
      params.push_back(i64Const(v));
    const unsigned p0At = params.size();
    params.append({nullptr, nullptr}); // p0, p1: per step
    params.push_back(
        arith::ConstantIntOp::create(b, loc, b.getI32Type(), call.getFlags()));

    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    ArrayRef<int64_t> scalars = call.getScalars();
    for (const gpuplan::PlanStep &step :
         gpuplan::planFc(layout, rows, cols, batch,
                         std::vector<int64_t>(scalars.begin(), scalars.end()),
                         targetBlocks, unsigned(blockThreads))) {
      gpu::GPUFuncOp kernel = getOrCreateKernel(step.entry, step.block);
      params[p0At] = i64Const(step.p0);
      params[p0At + 1] = i64Const(step.p1);
      auto launch = gpu::LaunchFuncOp::create(
          b, loc, kernel,
          gpu::KernelDim3{index(step.gridX), index(step.gridY),
                          index(step.gridZ)},
          gpu::KernelDim3{index(step.block), index(1), index(1)},
          /*dynamicSharedMemorySize=*/Value(), params, token, ValueRange{t});
      t = launch.getAsyncToken();
      ++numLaunches;
    }
    copy(yHost, yDev);
    for (Value buffer : deviceBuffers)
      t = gpu::DeallocOp::create(b, loc, token, ValueRange{t}, buffer)
              .getAsyncToken();
    gpu::WaitOp::create(b, loc, Type(), ValueRange{t});
    memref::CopyOp::create(b, loc, yHost, yView);
    memref::DeallocOp::create(b, loc, xHost);
    memref::DeallocOp::create(b, loc, yHost);
    func::ReturnOp::create(b, loc);
    f->removeAttr(PruneDialect::kGpuCallAttrName);
  }
};
} // namespace
