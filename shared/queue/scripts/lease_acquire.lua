-- lease_acquire: takes a free (or expired) lease with a new fencing epoch, or extends the lease
-- when this token already holds it (same epoch). Never touches a lease another token holds.
--
-- KEYS[1] lease hash {p}:lease:{name}   KEYS[2] epoch counter {p}:lease:{name}:epoch
-- ARGV[1] token  ARGV[2] owner (for display)  ARGV[3] ttl ms
-- Returns the epoch held | nil when another token holds the lease.

local cur = redis.call('HMGET', KEYS[1], 'token', 'epoch')
if cur[1] == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return tonumber(cur[2])
end
if cur[1] then
  return false
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'owner', ARGV[2], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return epoch
