--[[
  Lists a user's live sessions; prunes index members whose session is gone and deletes sessions of an
  older account version (validate already refuses them).

  KEYS[1] session index zset    <prefix>{tag}:ix
  KEYS[2] account state hash    <prefix>{tag}:u
  ARGV[1] session key prefix (<prefix>{tag}:s:); sibling keys share the {tag} slot (see create-3.lua)

  Reply: flat array, 7 entries per live session, oldest first: member, ca, la, ax, idle, ua, ip
]]
local current = redis.call('HGET', KEYS[2], 'av')
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = redis.call('HMGET', ARGV[1] .. m, 'ca', 'la', 'ax', 'it', 'ua', 'ip', 'av')
  if s[1] and s[7] == current then
    out[#out + 1] = m
    for i = 1, 6 do out[#out + 1] = s[i] end
  else
    if s[1] then redis.call('DEL', ARGV[1] .. m) end
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
