-- Reads a cache entry or grants the fill lease for it (the lease doubles as the cross-instance fill permit).
--
-- KEYS[1] entry key   (<prefix>:<name>:{<id>}:v<schema>)
-- KEYS[2] lease key   (<prefix>:<name>:{<id>}:lease)
-- KEYS[3] floor key   (<prefix>:<name>:{<id>}:floor), the tombstone: lowest version a fill may store
-- ARGV[1] lease token (random, unique per attempt)
-- ARGV[2] lease TTL in milliseconds
-- ARGV[3] mode: 'miss' (the entry was absent: return it if it appeared meanwhile) or
--         'refresh' (the entry is present but unusable, e.g. past its fresh time: lease regardless)
--
-- Reply: {'hit', entry}            the entry exists (mode 'miss' only)
--        {'wait', leaseTtlLeftMs}  another caller holds the lease
--        {'lease', floor}          the lease is ours; floor is the tombstone version ('0' when none)

local entry = redis.call('GET', KEYS[1])
if entry and ARGV[3] == 'miss' then
  return {'hit', entry}
end

-- PTTL -1 (a lease without expiry) cannot be ours to wait for: it would block fills forever, so take it.
local held = redis.call('PTTL', KEYS[2])
if held > 0 then
  return {'wait', held}
end

redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'lease', redis.call('GET', KEYS[3]) or '0'}
