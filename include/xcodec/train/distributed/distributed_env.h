#pragma once
/// A process's place in a multi-process run, read from the launcher's environment: torchrun's
/// variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
/// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT), which `xcodec train --nproc N`
/// also sets for its own workers, or else Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
/// SLURM_NTASKS_PER_NODE / SLURM_TASKS_PER_NODE, SLURM_JOB_NODELIST, SLURM_JOB_ID).
#include <cstdint>
#include <string>
#include <vector>

namespace xcodec::train {

struct DistributedEnv {
  int rank = 0;              ///< this process, 0..world_size-1 (RANK / SLURM_PROCID)
  int world_size = 1;        ///< processes in the run (WORLD_SIZE / SLURM_NTASKS)
  int local_rank = 0;        ///< this process on its node; selects cuda:local_rank
  int local_world_size = 1;  ///< processes on this node
  std::string master_addr;   ///< host of the c10d TCPStore (MASTER_ADDR)
  int master_port = 0;       ///< its port (MASTER_PORT)
  bool agent_store = false;  ///< the launcher hosts the store; every rank is a client
  int restart_count = 0;     ///< TORCHELASTIC_RESTART_COUNT: store keys are prefixed with it
  std::string launcher;      ///< "torchrun" (its variables), "slurm" or "" (single process)

  bool active() const { return world_size > 1; }
  /// Reads the variables above; world_size 1 when none is set. Throws ConfigError naming the
  /// variable when one is malformed or missing (e.g. RANK without MASTER_ADDR).
  static DistributedEnv from_environment();
};

/// The first host of a Slurm node list: "gpu[07-09,12],cpu1" -> "gpu07". Throws ConfigError
/// on an empty list.
std::string first_slurm_host(const std::string& nodelist);
/// Tasks on the first node from SLURM_TASKS_PER_NODE syntax: "8(x2)" -> 8, "4,2" -> 4.
int slurm_tasks_on_first_node(const std::string& tasks_per_node);

}  // namespace xcodec::train
