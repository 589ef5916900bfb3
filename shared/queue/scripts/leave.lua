-- leave: removes a consumer from its group on a graceful exit, but only when nothing is pending
-- for it (deleting a consumer drops its pending entries, which would lose those jobs).
--
-- KEYS[1] priority stream
-- ARGV[1] group  ARGV[2] consumer
-- Returns 1 if removed (or there was no group), 0 if entries are still pending for it.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 1
end
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if pending.err then
  -- no such group: nothing to leave
  return 1
end
if #pending > 0 then
  return 0
end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
