// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
// The whole public API.
#pragma once

#include "winnow/analysis.h"
#include "winnow/command.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/scheduler.h"
#include "winnow/space.h"
#include "winnow/storage.h"
#include "winnow/study.h"
#include "winnow/study_file.h"
#include "winnow/trial.h"
