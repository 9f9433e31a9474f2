--[[
  GCRA (generic cell rate algorithm), equivalent to a token bucket with a rate and a burst.
  An include: defines the table `gcra`, concatenated into decide-N.lua and refund-N.lua.

  State: one string key holding the theoretical arrival time (TAT) as integer microseconds of Redis time.
  A missing key means a full bucket, so the key expires exactly when the bucket would be full again.

  Parameters (ARGV slots p1, p2 of a policy):
    p1  emission interval T in microseconds (period / limit, an integer)
    p2  burst: how many units may be spent at once

  check(key, now, T, burst, cost) -> status, remaining, wait_us, pending
    status    0 allowed, 1 denied, 2 unsatisfiable (cost > burst)
    remaining whole units left after this request (allowed) or before it (denied)
    wait_us   allowed: microseconds until one more unit is available (0 when full)
              denied: microseconds until `cost` units are available; unsatisfiable: -1
    pending   the new TAT to write on commit (nil when nothing changes)
]]
local gcra = {}

function gcra.check(key, now, T, burst, cost)
  local tolerance = T * burst
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  if cost > burst then
    return 2, math.floor((tolerance - (tat - now)) / T), -1, nil
  end
  local new_tat = tat + cost * T
  local allow_at = new_tat - tolerance
  if allow_at > now then
    return 1, math.floor((tolerance - (tat - now)) / T), allow_at - now, nil
  end
  local used = new_tat - now
  local remaining = math.floor((tolerance - used) / T)
  local wait = 0
  if remaining < burst then wait = used - tolerance + (remaining + 1) * T end
  if cost == 0 then return 0, remaining, wait, nil end
  return 0, remaining, wait, new_tat
end

function gcra.commit(key, now, pending)
  -- +1 ms: PX counts from the command's ms clock, which may trail TIME by up to 1 ms.
  redis.call('SET', key, string.format('%d', pending), 'PX', math.ceil((pending - now) / 1000) + 1)
end

-- Gives back `cost` units taken by a reservation made at `reserved_at` (cluster rollback).
function gcra.refund(key, now, reserved_at, T, burst, cost)
  local tat = tonumber(redis.call('GET', key))
  if tat == nil then return end
  local new_tat = tat - cost * T
  if new_tat <= now then
    redis.call('DEL', key)
  else
    redis.call('SET', key, string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
  end
end
