// Precompiled for every internal target (see xcodec_torch_pch); never included by hand.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
