// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What the commands that serve HTTP (`winnow dashboard`, `winnow serve`) share: binding to the
// address asked for, with an error naming it, and how the address is shown.
#pragma once
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "winnow/error.h"

namespace winnow::cli {

inline bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

// host:port as a URL writes it (IPv6 addresses in brackets).
inline std::string url_authority(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// The options of a listening socket: SO_REUSEADDR alone, so that a restarted server binds its
// port at once. cpp-httplib's default adds SO_REUSEPORT, with which a second server binds a port
// in use without an error and the kernel shares the clients between the two.
inline void reuse_address_only(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// Why host:port cannot be bound, found by binding it once more: cpp-httplib reports only that
// it failed, and "in use", "not an address of this machine" and "needs privileges" call for
// different fixes.
inline std::string bind_failure_reason(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int code = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); code != 0) {
    return "cannot resolve '" + host + "': " + ::gai_strerror(code);
  }
  int error = 0;
  int sock = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (sock < 0) {
    error = errno;
  } else {
    reuse_address_only(sock);
    if (::bind(sock, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    ::close(sock);
  }
  ::freeaddrinfo(found);
  switch (error) {
    case EADDRINUSE:
      return "port " + service + " is in use; choose another with --port";
    case EACCES:
      return "permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE";
    case EADDRNOTAVAIL:
      return "'" + host + "' is not an address of this machine";
    case 0:
      return "in use, or not an address of this machine";
    default:
      return std::strerror(error);
  }
}

// Binds `server` to host:port (port 0: any free port) and returns the port; throws
// winnow::Error naming `command`, the address and why when it cannot.
inline int bind_or_throw(httplib::Server& server, const std::string& host, int port,
                         const std::string& command) {
  int bound = port == 0 ? server.bind_to_any_port(host)
                        : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw Error(command + ": cannot listen on " + url_authority(host, port) + ": " +
                bind_failure_reason(host, port));
  }
  return bound;
}

}  // namespace winnow::cli
