// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Who runs a trial. A running trial records its owner as "host:pid:start-time" (start-time is
// field 22 of /proc/<pid>/stat, in clock ticks since boot) so that a later process can tell a
// trial whose process died from one still being worked on: a pid alone is not enough because
// pids are reused, and the pair (pid, start time) is unique on a host until it reboots.
#pragma once

#include <string>
#include <string_view>

namespace winnow {

// True when `owner` names a process on this host that no longer exists: its pid is not alive,
// is a zombie, or now belongs to a process that started at another time. Owners on another
// host, and owners that do not have the "host:pid:start-time" shape, are never gone: nobody
// here can know, so the trial is left alone.
bool owner_process_is_gone(std::string_view owner);

// The host part used in owners (gethostname()).
std::string owner_host_name();

}  // namespace winnow
