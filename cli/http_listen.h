// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What the commands that serve HTTP (`winnow dashboard`, `winnow serve`) share: binding to the
// address asked for, with an error naming it, and how the address is shown.
#pragma once
#include <httplib.h>
#include <sys/socket.h>

#include <string>

#include "winnow/error.h"

namespace winnow::cli {

inline bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

// The options of a listening socket: SO_REUSEADDR alone, so that a restarted server binds its
// port at once. cpp-httplib's default adds SO_REUSEPORT, with which a second server binds a port
// in use without an error and the kernel shares the clients between the two.
inline void reuse_address_only(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// Binds `server` to host:port (port 0: any free port) and returns the port; throws
// winnow::Error naming `command` and the address when it cannot.
inline int bind_or_throw(httplib::Server& server, const std::string& host, int port,
                         const std::string& command) {
  int bound = port == 0 ? server.bind_to_any_port(host)
                        : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    throw Error(command + ": cannot listen on " + host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  return bound;
}

// host:port as a URL writes it (IPv6 addresses in brackets).
inline std::string url_authority(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

}  // namespace winnow::cli
