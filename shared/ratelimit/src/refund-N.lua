--[[
  Gives back what an earlier decide-N.lua call admitted, when a request's policies span several Redis
  Cluster slots and another slot denied (reserve-then-rollback). Run at most once per reservation and
  never retried after a timeout, so it cannot refund twice. Preceded at load time by the algorithm
  includes (algorithms/*.lua).

  KEYS[i]   the state key of policy i (the same keys, in the same order, as the reservation)
  ARGV[1]   the reservation's Redis time in microseconds (from decide-N.lua's output)
  ARGV      4 values per policy i, at b = 1 + (i - 1) * 4:
    ARGV[b+1] algorithm (1 gcra, 2 sliding window, 3 fixed window)
    ARGV[b+2] p1, ARGV[b+3] p2 (as in decide-N.lua)
    ARGV[b+4] cost that was admitted (0 for a shadow policy that did not commit)

  Output: { remaining_1, wait_1, ..., remaining_n, wait_n }: each policy's state after the refund, as a
  cost-0 check reports it (see algorithms/gcra.lua)
]]
local ALGORITHMS = { gcra, sliding_window, fixed_window }

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local reserved_at = tonumber(ARGV[1])

local out = {}
for i = 1, #KEYS do
  local b = 1 + (i - 1) * 4
  local algorithm = ALGORITHMS[tonumber(ARGV[b + 1])]
  local p1, p2, cost = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  if cost > 0 then algorithm.refund(KEYS[i], now, reserved_at, p1, p2, cost) end
  local _, remaining, wait = algorithm.check(KEYS[i], now, p1, p2, 0)
  out[#out + 1] = remaining
  out[#out + 1] = wait
end
return out
