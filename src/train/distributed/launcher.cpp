#include "xcodec/train/distributed/launcher.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"

extern char** environ;

namespace xcodec::train {
namespace {

std::atomic<int> g_forward_signal{0};
void remember_signal(int sig) { g_forward_signal.store(sig); }

// Variables the launcher sets; inherited values (an outer launcher's) are dropped.
bool launcher_variable(const char* e) {
  static const char* const kNames[] = {"RANK=",
                                       "WORLD_SIZE=",
                                       "LOCAL_RANK=",
                                       "LOCAL_WORLD_SIZE=",
                                       "GROUP_RANK=",
                                       "MASTER_ADDR=",
                                       "MASTER_PORT=",
                                       "TORCHELASTIC_",
                                       "ROLE_RANK=",
                                       "ROLE_WORLD_SIZE=",
                                       "XCODEC_RANK=",
                                       "XCODEC_WORLD_SIZE=",
                                       "XCODEC_DIST_STORE="};
  for (const char* n : kNames)
    if (std::strncmp(e, n, std::strlen(n)) == 0) return true;
  return false;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace

int launch_local_workers(const std::vector<std::string>& argv, int nproc) {
  if (nproc < 1) throw ConfigError("launch_local_workers: need at least one process");
  // The store lives here, as torchrun's agent hosts it: no rank owns it, so the ranks' own
  // deaths are told apart from the store's, and port 0 lets the kernel pick a free port.
  c10d::TCPStoreOptions so;
  so.port = 0;
  so.isServer = true;
  so.waitWorkers = false;
  so.numWorkers = nproc;
  c10::intrusive_ptr<c10d::TCPStore> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
  } catch (const std::exception& e) {
    throw Error(std::string("cannot start the rendezvous store on 127.0.0.1: ") + e.what());
  }
  const int port = store->getPort();

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
      if (!launcher_variable(*e)) env_strings.emplace_back(*e);
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"RANK", std::to_string(r)},
             {"WORLD_SIZE", std::to_string(nproc)},
             {"LOCAL_RANK", std::to_string(r)},
             {"LOCAL_WORLD_SIZE", std::to_string(nproc)},
             {"MASTER_ADDR", "127.0.0.1"},
             {"MASTER_PORT", std::to_string(port)},
             {"TORCHELASTIC_USE_AGENT_STORE", "True"},
             {"TORCHELASTIC_RESTART_COUNT", "0"}})
      env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, args.data(), envp.data());
    if (rc != 0) {
      for (pid_t p : pids) ::kill(p, SIGTERM);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      throw Error("cannot start rank " + std::to_string(r) + ": " + std::strerror(rc));
    }
    pids.push_back(pid);
  }
  XCODEC_LOG_INFO("[dist] started " << nproc << " ranks (store 127.0.0.1:" << port << ")");

  int result = 0;
  size_t alive = pids.size();
  std::vector<bool> done(pids.size(), false);
  bool forwarded = false;
  std::chrono::steady_clock::time_point terminated_at{};
  bool terminating = false;
  while (alive > 0) {
    if (!forwarded && g_forward_signal.load() != 0) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], g_forward_signal.load());
      forwarded = true;
    }
    if (terminating &&
        std::chrono::steady_clock::now() - terminated_at > std::chrono::seconds(10)) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], SIGKILL);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (size_t i = 0; i < pids.size(); ++i) {
      if (pids[i] != pid || done[i]) continue;
      done[i] = true;
      --alive;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0 && result == 0) {
        result = code;
        if (alive > 0) {
          // The others would wait for it until their collectives time out.
          XCODEC_LOG_ERROR("[dist] rank " << i << " (pid " << pid << ") " << describe_status(status)
                                          << "; stopping the other " << alive << " rank(s)");
          for (size_t j = 0; j < pids.size(); ++j)
            if (!done[j]) ::kill(pids[j], SIGTERM);
          terminating = true;
          terminated_at = std::chrono::steady_clock::now();
        } else {
          XCODEC_LOG_ERROR("[dist] rank " << i << " (pid " << pid << ") "
                                          << describe_status(status));
        }
      }
    }
  }
  return result;
}

}  // namespace xcodec::train
