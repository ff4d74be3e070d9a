#pragma once
// `dermtool train --nproc N`: N worker processes of one data-parallel run on this machine (as
// torchrun does): each is this program again with its rank, the group's size and rank 0's
// rendezvous address; rank 0 keeps stdout (progress) and writes the run folder. A worker that
// dies ends the run: the launcher stops the others and says which worker failed and how,
// instead of leaving them waiting for it. SIGINT/SIGTERM are passed on, so the ranks stop
// together after the current step and the run stays resumable.

#include <string>
#include <vector>

namespace dermtool {

// The program's own arguments (after argv[0]), kept by main() for relaunching.
void setCommandLine(int argc, char** argv);

struct WorkerOptions {
    int processes = 1;
    int threadsPerWorker = 0;  // 0: the cores shared evenly
};

// Runs the workers to completion; throws std::runtime_error naming the worker that failed.
void runWorkers(const WorkerOptions& options);

}  // namespace dermtool
