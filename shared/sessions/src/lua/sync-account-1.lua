--[[
  Mirrors an account's role, tier and version into Redis when the caller's revision is newer than the
  stored one, so a late writer can never roll the state back. A version bump here invalidates every
  session created under the old version at its next validation, before any revoke loop runs.

  KEYS[1] account state hash    <prefix>{tag}:u
  ARGV[1] user id
  ARGV[2] account version
  ARGV[3] account revision
  ARGV[4] role
  ARGV[5] tier
  ARGV[6] hold, ms: the state lives at least this long (it fences logins still in flight)

  Reply: {applied (0|1), stored version, stored revision}
  Errors: TAG_CONFLICT (the tag belongs to another user)
]]
local cur = redis.call('HMGET', KEYS[1], 'uid', 'rev')
if cur[1] and cur[1] ~= ARGV[1] then return redis.error_reply('TAG_CONFLICT') end
local applied = 0
if not cur[2] or tonumber(ARGV[3]) > tonumber(cur[2]) then
  redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'av', ARGV[2], 'rev', ARGV[3], 'role', ARGV[4], 'tier', ARGV[5])
  applied = 1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = now + tonumber(ARGV[6])
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -1 or now + pttl < hold then redis.call('PEXPIREAT', KEYS[1], hold) end
local st = redis.call('HMGET', KEYS[1], 'av', 'rev')
return {applied, tonumber(st[1]), tonumber(st[2])}
