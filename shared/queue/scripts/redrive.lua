-- redrive: puts a dead job back into its priority stream with its attempts reset. Refuses a
-- job that is not dead, and a job whose dedup key is now held by another live job (enqueueing
-- it would break dedup). Retakes the dedup key and removes the dead-letter entry.
--
-- KEYS[1] job record   KEYS[2] dead-letter stream   KEYS[3] high stream   KEYS[4] low stream
-- KEYS[5] all-jobs index zset
-- ARGV[1] job id  ARGV[2] dedup key prefix {p}:dedup:  ARGV[3] job key prefix {p}:job:
-- Returns 'queued' | 'not_found' | 'not_dead' | {'held', holder id}
-- The dedup key and holder record are derived from ARGV[2], ARGV[3]: standalone Redis only.

local rec = redis.call('HMGET', KEYS[1], 'state', 'priority', 'dedup_key', 'dead_entry', 'created_at')
if not rec[1] then
  return 'not_found'
end
if rec[1] ~= 'dead' then
  return 'not_dead'
end
if rec[3] then
  local key = ARGV[2] .. rec[3]
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. holder) == 1 then
    return {'held', holder}
  end
  redis.call('SET', key, ARGV[1])
end
if rec[4] then
  redis.call('XDEL', KEYS[2], rec[4])
end

local t = redis.call('TIME')
local now_s = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local stream = KEYS[4]
if rec[2] == 'high' then
  stream = KEYS[3]
end
local entry = redis.call('XADD', stream, '*', 'id', ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempts', '0', 'enqueued_at', now_s, 'entry', entry)
redis.call('HDEL', KEYS[1], 'started_at', 'finished_at', 'worker', 'result', 'error', 'next_attempt_at',
  'run_token', 'done_token', 'dead_entry')
redis.call('PERSIST', KEYS[1])
-- the index entry may have been trimmed while the job sat in the dead-letter stream
redis.call('ZADD', KEYS[5], rec[5] or now_s, ARGV[1])
return 'queued'
