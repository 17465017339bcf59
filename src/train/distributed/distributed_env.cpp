#include "xcodec/train/distributed/distributed_env.h"

#include <cctype>
#include <cstdlib>

#include "xcodec/core/error.h"

namespace xcodec::train {
namespace {

const char* get(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

int to_int(const char* name, const char* value) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || v < 0 || v > 1000000) {
    throw ConfigError("environment variable " + std::string(name) + "='" + value +
                      "' is not a non-negative integer");
  }
  return static_cast<int>(v);
}

int int_var(const char* name, int fallback) {
  const char* v = get(name);
  return v != nullptr ? to_int(name, v) : fallback;
}

int required_int(const char* name, const char* why) {
  const char* v = get(name);
  if (v == nullptr) throw ConfigError(std::string(name) + " is not set (" + why + ")");
  return to_int(name, v);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // "a[01-03,7],b" -> "a01": the prefix, then the first number of the bracket (zero padding kept).
  std::string host;
  for (size_t i = 0; i < nodelist.size(); ++i) {
    const char c = nodelist[i];
    if (c == ',') break;
    if (c == '[') {
      size_t j = i + 1;
      while (j < nodelist.size() && std::isalnum(static_cast<unsigned char>(nodelist[j])))
        host += nodelist[j++];
      break;
    }
    host += c;
  }
  if (host.empty()) throw ConfigError("SLURM_JOB_NODELIST='" + nodelist + "' names no host");
  return host;
}

int slurm_tasks_on_first_node(const std::string& tasks_per_node) {
  size_t n = 0;
  while (n < tasks_per_node.size() && std::isdigit(static_cast<unsigned char>(tasks_per_node[n])))
    ++n;
  if (n == 0)
    throw ConfigError("SLURM_TASKS_PER_NODE='" + tasks_per_node + "' does not start with a count");
  return std::stoi(tasks_per_node.substr(0, n));
}

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv env;
  if (get("RANK") != nullptr || get("WORLD_SIZE") != nullptr) {
    const char* why = "torchrun-style launch: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT";
    env.launcher = "torchrun";
    env.rank = required_int("RANK", why);
    env.world_size = required_int("WORLD_SIZE", why);
    env.local_rank = int_var("LOCAL_RANK", env.rank);
    env.local_world_size = int_var("LOCAL_WORLD_SIZE", env.world_size);
    if (env.world_size > 1) {
      const char* addr = get("MASTER_ADDR");
      if (addr == nullptr) throw ConfigError(std::string("MASTER_ADDR is not set (") + why + ")");
      env.master_addr = addr;
      env.master_port = required_int("MASTER_PORT", why);
    }
  } else if (get("SLURM_PROCID") != nullptr && get("SLURM_NTASKS") != nullptr) {
    // One task per device under srun. MASTER_ADDR/MASTER_PORT win when set.
    env.launcher = "slurm";
    env.rank = required_int("SLURM_PROCID", "srun task");
    env.world_size = required_int("SLURM_NTASKS", "srun task");
    env.local_rank = int_var("SLURM_LOCALID", 0);
    if (const char* per_node = get("SLURM_NTASKS_PER_NODE")) {
      env.local_world_size = slurm_tasks_on_first_node(per_node);
    } else if (const char* tasks = get("SLURM_TASKS_PER_NODE")) {
      env.local_world_size = slurm_tasks_on_first_node(tasks);
    } else {
      env.local_world_size = env.world_size;
    }
    if (env.world_size > 1) {
      if (const char* addr = get("MASTER_ADDR")) {
        env.master_addr = addr;
      } else if (const char* nodes = get("SLURM_JOB_NODELIST")) {
        env.master_addr = first_slurm_host(nodes);
      } else {
        throw ConfigError("Slurm launch: neither MASTER_ADDR nor SLURM_JOB_NODELIST is set");
      }
      // A port every task of the job agrees on without talking: from the job id, as Lightning
      // does, unless MASTER_PORT is given.
      env.master_port =
          get("MASTER_PORT") != nullptr
              ? to_int("MASTER_PORT", get("MASTER_PORT"))
              : 10000 +
                    (get("SLURM_JOB_ID") ? to_int("SLURM_JOB_ID", get("SLURM_JOB_ID")) : 0) % 20000;
    }
  } else {
    return env;
  }
  if (const char* agent = get("TORCHELASTIC_USE_AGENT_STORE"))
    env.agent_store =
        std::string(agent) == "True" || std::string(agent) == "true" || std::string(agent) == "1";
  env.restart_count = int_var("TORCHELASTIC_RESTART_COUNT", 0);
  if (env.world_size < 1 || env.rank >= env.world_size) {
    throw ConfigError("rank " + std::to_string(env.rank) + " is outside the world size " +
                      std::to_string(env.world_size) + " (" + env.launcher + " environment)");
  }
  if (env.local_world_size < 1 || env.local_rank >= env.local_world_size) {
    throw ConfigError("local rank " + std::to_string(env.local_rank) +
                      " is outside the local world size " + std::to_string(env.local_world_size) +
                      " (" + env.launcher + " environment)");
  }
  if (env.world_size > 1 && (env.master_port < 1 || env.master_port > 65535)) {
    throw ConfigError("MASTER_PORT=" + std::to_string(env.master_port) + " is not a TCP port");
  }
  return env;
}

}  // namespace xcodec::train
