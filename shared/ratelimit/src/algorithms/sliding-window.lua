--[[
  Sliding-window counter: the current fixed window's count plus the previous window's count weighted by
  how much of the previous window still overlaps the sliding window. An include: defines the table
  `sliding_window`, concatenated into decide-N.lua and refund-N.lua.

  State: one hash per (policy, identity) with fields w (index of the current window, floor(now / W)),
  c (count in window w) and p (count in window w - 1). No timestamp in the key name; the hash expires at
  the end of window w + 1, after which it could only ever read as zero.

  Parameters (ARGV slots p1, p2 of a policy):
    p1  window W in microseconds
    p2  limit per window

  check(key, now, W, limit, cost) -> status, remaining, wait_us, pending   (see gcra.lua)
]]
local sliding_window = {}

local function sw_state(key, now, W)
  local f = redis.call('HMGET', key, 'w', 'c', 'p')
  local idx = math.floor(now / W)
  local w, c, p = tonumber(f[1]), tonumber(f[2]) or 0, tonumber(f[3]) or 0
  if w == nil or w < idx - 1 then
    c, p = 0, 0
  elseif w == idx - 1 then
    c, p = 0, c
  elseif w > idx then
    -- Redis time went backwards (failover to a node with a slower clock): keep the newer state.
    idx = w
  end
  local elapsed = now - idx * W
  if elapsed < 0 then elapsed = 0 end
  return idx, c, p, elapsed
end

-- Microseconds until `need` more units fit, assuming nothing else is admitted meanwhile; -1 if never.
local function sw_wait(c, p, elapsed, W, limit, need)
  if need > limit then return -1 end
  local room = limit - need - c
  if room >= 0 then
    if p == 0 then return 0 end
    local dt = (W - elapsed) - room * W / p
    if dt <= 0 then return 0 end
    return math.ceil(dt)
  end
  local e2 = W - (limit - need) * W / c
  if e2 < 0 then e2 = 0 end
  return math.ceil((W - elapsed) + e2)
end

function sliding_window.check(key, now, W, limit, cost)
  local idx, c, p, elapsed = sw_state(key, now, W)
  local estimate = p * (W - elapsed) / W + c
  if cost > limit then
    return 2, math.max(0, math.floor(limit - estimate)), -1, nil
  end
  if estimate + cost > limit then
    return 1, math.max(0, math.floor(limit - estimate)), sw_wait(c, p, elapsed, W, limit, cost), nil
  end
  local remaining = math.floor(limit - (estimate + cost))
  local wait = 0
  if remaining < limit then wait = sw_wait(c + cost, p, elapsed, W, limit, remaining + 1) end
  if cost == 0 then return 0, remaining, wait, nil end
  -- The state matters until window idx + 1 ends; afterwards it would read as zero anyway.
  return 0, remaining, wait, { idx, c + cost, p, math.ceil((2 * W - elapsed) / 1000) + 1 }
end

function sliding_window.commit(key, now, pending)
  redis.call('HSET', key, 'w', pending[1], 'c', pending[2], 'p', pending[3])
  redis.call('PEXPIRE', key, pending[4])
end

function sliding_window.refund(key, now, reserved_at, W, limit, cost)
  local f = redis.call('HMGET', key, 'w', 'c', 'p')
  local w = tonumber(f[1])
  if w == nil then return end
  local idx = math.floor(reserved_at / W)
  if w == idx then
    redis.call('HSET', key, 'c', math.max(0, (tonumber(f[2]) or 0) - cost))
  elseif w == idx + 1 then
    redis.call('HSET', key, 'p', math.max(0, (tonumber(f[3]) or 0) - cost))
  end
end
