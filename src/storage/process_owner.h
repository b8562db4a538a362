// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Who runs a trial. A running trial records its owner as "host:pid:start-time" (start-time is
// field 22 of /proc/<pid>/stat, in clock ticks since boot) so that a later process can tell a
// trial whose process died from one still being worked on: a pid alone is not enough because
// pids are reused, and the pair (pid, start time) is unique on a host until it reboots.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace winnow {

// True when `owner` names a process on this host that no longer exists: its pid is not alive,
// is a zombie, or now belongs to a process that started at another time. Owners on another
// host, and owners that do not have the "host:pid:start-time" shape, are never gone: nobody
// here can know, so the trial is left alone.
bool owner_process_is_gone(std::string_view owner);

// True when `owner` has the "host:pid:start-time" shape of a Winnow process, which heartbeats
// its running trials, so that a lease applies. Other owners ("ask@host": a trial handed out by
// `winnow ask` to a program that reports with `winnow tell`) send no heartbeat and never expire.
bool owner_heartbeats(std::string_view owner);

// Whether a running trial is lost: its process is gone, or it heartbeats and its last sign of
// life (`last_sign_ms`, heartbeat or start) is more than `lease_ms` (> 0) before `now_ms`.
bool owner_is_lost(std::string_view owner, int64_t last_sign_ms, int64_t now_ms,
                   int64_t lease_ms);

// The host part used in owners (gethostname()).
std::string owner_host_name();

}  // namespace winnow
