#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the downloader's tests and bench:
// GET with "Range: bytes=N-", 404 for unknown targets, a route that drops the connection
// mid-body the first time, extra response headers (the Hub's Link pagination), an optional
// per-response delay. One thread per connection, "Connection: close" after each response.
// Header-only so that bench/download_bench.cpp can use it too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace xcodec::testing {

class HttpTestServer {
 public:
  struct Route {
    std::string body;
    int status = 200;
    std::map<std::string, std::string> headers;  // extra response headers
    int64_t drop_after = -1;    // first response only: close the socket after this many body bytes
    bool ignore_range = false;  // answer 200 with the whole body even to a Range request
  };

  HttpTestServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 64);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~HttpTestServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_thread_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
  }

  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:PORT" + target.
  std::string url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  /// Serves `route` for GET `target` (path and query, exactly as requested).
  void add(const std::string& target, Route route) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[target] = std::move(route);
  }
  void add(const std::string& target, const std::string& body) {
    Route r;
    r.body = body;
    add(target, std::move(r));
  }
  /// Each response waits this long before its first byte (makes parallel transfers overlap).
  void set_delay_ms(int ms) { delay_ms_ = ms; }

  /// Requests of `target` so far.
  int hits(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_[target];
  }
  int total_hits() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [t, h] : hits_) n += h;
    return n;
  }
  /// The Range header values received for `target`, in order ("" for none).
  std::vector<std::string> ranges(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    return ranges_[target];
  }
  /// The Authorization header of the last request of `target`.
  std::string authorization(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_[target];
  }
  /// Most requests in flight at once.
  int max_concurrent() const { return max_concurrent_; }

 private:
  void accept_loop() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }

  static void send_all(int c, const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(c, p, n, MSG_NOSIGNAL);
      if (w <= 0) return;
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  static std::string header_value(const std::string& request, const std::string& name) {
    std::string lower = request;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    const size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    size_t start = at + 3 + name.size();
    while (start < request.size() && request[start] == ' ') ++start;
    return request.substr(start, request.find("\r\n", start) - start);
  }

  void serve(int c) {
    const int now = ++in_flight_;
    int seen = max_concurrent_;
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    const size_t sp1 = request.find(' ');
    const size_t sp2 = request.find(' ', sp1 + 1);
    const std::string target =
        sp1 == std::string::npos ? "" : request.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string range = header_value(request, "range");
    Route route;
    bool found = false;
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first = hits_[target]++ == 0;
      ranges_[target].push_back(range);
      authorization_[target] = header_value(request, "authorization");
      const auto it = routes_.find(target);
      if (it != routes_.end()) {
        route = it->second;
        found = true;
      }
    }
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    std::string head;
    std::string body;
    int64_t drop_after = -1;
    if (!found) {
      body = "not found\n";
      head = "HTTP/1.1 404 Not Found\r\n";
    } else if (route.status != 200) {
      body = route.body;
      head = "HTTP/1.1 " + std::to_string(route.status) + " Error\r\n";
    } else {
      const int64_t size = static_cast<int64_t>(route.body.size());
      int64_t from = 0;
      if (!route.ignore_range && range.rfind("bytes=", 0) == 0) from = std::stoll(range.substr(6));
      if (from >= size && from > 0) {
        head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" +
               std::to_string(size) + "\r\n";
      } else if (from > 0) {
        body = route.body.substr(static_cast<size_t>(from));
        head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) +
               "-" + std::to_string(size - 1) + "/" + std::to_string(size) + "\r\n";
      } else {
        body = route.body;
        head = "HTTP/1.1 200 OK\r\n";
      }
      for (const auto& [k, v] : route.headers) head += k + ": " + v + "\r\n";
      if (first) drop_after = route.drop_after;
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    send_all(c, head.data(), head.size());
    if (drop_after >= 0 && drop_after < static_cast<int64_t>(body.size())) {
      send_all(c, body.data(), static_cast<size_t>(drop_after));
    } else {
      send_all(c, body.data(), body.size());
    }
    --in_flight_;
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_concurrent_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::map<std::string, Route> routes_;
  std::map<std::string, int> hits_;
  std::map<std::string, std::vector<std::string>> ranges_;
  std::map<std::string, std::string> authorization_;
};

}  // namespace xcodec::testing
