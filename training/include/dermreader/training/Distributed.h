#pragma once
// Data-parallel training across processes through torch.distributed's c10d: one process per
// device (or several on one CPU), a TCPStore rendezvous on rank 0, Gloo on the CPU and NCCL on
// GPUs. Gradients are averaged by c10d's Reducer (DDP's engine): in buckets, all-reduced while
// the backward pass is still running. No torch here.
//
// What each process does is decided by its rank (Trainer):
//  - every rank shuffles the epoch with the same seed and takes its own slice of each global
//    batch (batchSize images per rank, so the global batch is batchSize x worldSize; the order is
//    padded by wrapping so that every rank has the same number of full steps);
//  - batch norm normalises with each rank's own batch, as PyTorch's DDP does by default; its
//    running statistics (used at inference) are rank 0's, broadcast to all ranks before every
//    step, so every rank validates and saves the same model;
//  - rank 0 alone validates, writes checkpoints, bundles and progress; `--resume` reads the
//    checkpoint on every rank and rank 0's weights are broadcast at start.

#include <string>

namespace dermreader::training {

struct ProcessGroupSpec {
    int rank = 0;
    int worldSize = 1;
    std::string host = "127.0.0.1";  // where rank 0's TCPStore listens
    int port = 0;
    // A collective that waits longer than this fails (a peer died or hangs). Generous, since
    // the other ranks wait in the first step of an epoch while rank 0 validates.
    int timeoutSeconds = 1800;

    bool distributed() const { return worldSize > 1; }
};

// Which c10d backends this build has: "gloo" (needs Gloo's headers at build time) and "nccl"
// (needs a CUDA LibTorch and NCCL's header).
bool glooAvailable();
bool ncclAvailable();

}  // namespace dermreader::training
