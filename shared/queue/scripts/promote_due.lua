-- promote_due: moves retries whose backoff has passed from the delayed set back into their
-- priority stream, each atomically (never in both places, never in neither). Members whose
-- record is gone or no longer waiting for a retry are dropped from the set.
--
-- KEYS[1] delayed zset   KEYS[2] high stream   KEYS[3] low stream
-- ARGV[1] limit  ARGV[2] job key prefix {p}:job:
-- Returns the number of jobs moved.
-- Record keys are derived from ARGV[2] and the set's members: standalone Redis only.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_s = string.format('%d', now)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_s, 'LIMIT', 0, tonumber(ARGV[1]))
local moved = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local key = ARGV[2] .. id
  local rec = redis.call('HMGET', key, 'state', 'priority')
  if rec[1] == 'failed' then
    local stream = KEYS[3]
    if rec[2] == 'high' then
      stream = KEYS[2]
    end
    local entry = redis.call('XADD', stream, '*', 'id', id)
    redis.call('HSET', key, 'state', 'queued', 'entry', entry, 'enqueued_at', now_s)
    redis.call('HDEL', key, 'next_attempt_at')
    moved = moved + 1
  end
end
return moved
