--[[
  Fixed window aligned to Redis time: at most `limit` units per window floor(now / W). Admits up to 2x the
  limit across a window boundary; offered for comparison and for cheap coarse quotas. An include: defines
  the table `fixed_window`, concatenated into decide-N.lua and refund-N.lua.

  State: one hash per (policy, identity) with fields w (window index) and c (count); it expires when
  window w ends. No timestamp in the key name.

  Parameters (ARGV slots p1, p2 of a policy):
    p1  window W in microseconds
    p2  limit per window

  check(key, now, W, limit, cost) -> status, remaining, wait_us, pending   (see gcra.lua)
]]
local fixed_window = {}

function fixed_window.check(key, now, W, limit, cost)
  local f = redis.call('HMGET', key, 'w', 'c')
  local idx = math.floor(now / W)
  local w, c = tonumber(f[1]), tonumber(f[2]) or 0
  if w == nil or w < idx then
    c = 0
  elseif w > idx then
    idx = w
  end
  local left = idx * W + W - now
  if left < 1 then left = 1 end
  if cost > limit then return 2, limit - c, -1, nil end
  if c + cost > limit then return 1, limit - c, left, nil end
  local wait = 0
  if c + cost > 0 then wait = left end
  if cost == 0 then return 0, limit - c, wait, nil end
  return 0, limit - c - cost, wait, { idx, c + cost, math.ceil(left / 1000) + 1 }
end

function fixed_window.commit(key, now, pending)
  redis.call('HSET', key, 'w', pending[1], 'c', pending[2])
  redis.call('PEXPIRE', key, pending[3])
end

function fixed_window.refund(key, now, reserved_at, W, limit, cost)
  local f = redis.call('HMGET', key, 'w', 'c')
  if tonumber(f[1]) == math.floor(reserved_at / W) then
    redis.call('HSET', key, 'c', math.max(0, (tonumber(f[2]) or 0) - cost))
  end
end
