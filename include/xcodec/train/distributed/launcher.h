#pragma once
/// A local launcher in the manner of `torchrun --standalone --nproc-per-node N`: it hosts the
/// c10d TCPStore itself on 127.0.0.1 (a free port) and starts N copies of this program with
/// torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
/// MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE=True, TORCHELASTIC_RESTART_COUNT=0).
#include <string>
#include <vector>

namespace xcodec::train {

/// Runs `argv` (this program and its arguments) as ranks 0..nproc-1 and waits. SIGINT/SIGTERM
/// are forwarded to the ranks. When a rank exits non-zero or is killed, the others get SIGTERM
/// (SIGKILL 10 s later) and an error naming the rank and its exit status is logged. Returns 0
/// when all ranks exit 0, else the failed rank's status (128+signal for a signal). Throws
/// xcodec::Error when a rank cannot be started.
int launch_local_workers(const std::vector<std::string>& argv, int nproc);

}  // namespace xcodec::train
