-- start: marks a batch of delivered entries of one stream as running for this consumer
-- (attempts + 1, a new run token each). One call per fetched batch: the per-call cost of a
-- script is what limits throughput. Per entry:
--   * an entry that is no longer its job's live entry (record gone, job already finished) is
--     acknowledged and deleted, and nothing is handed out;
--   * a job whose attempts are used up by workers that died (poison) goes to the dead-letter
--     stream instead of running again;
--   * a repeat with the same run token (a reply lost with the connection) returns the same
--     attempt without counting another.
--
-- KEYS[1] priority stream   KEYS[2] dead-letter stream   KEYS[2 + i] record of entry i
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] dedup key prefix {p}:dedup:  ARGV[4] dead retention ms
-- ARGV[3 + 2i] entry id of entry i  ARGV[4 + 2i] its new run token
-- Returns one reply per entry: {} (obsolete) | {'dead', job id}
--   | {'run', attempts, max_attempts, kind, payload, enqueued_at ms, started_at ms}
-- Dedup keys are derived from ARGV[3] and the records: standalone Redis only.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_s = string.format('%d', now)
local retention = tonumber(ARGV[4])
local replies = {}
-- entries to acknowledge and delete, together at the end (one XDEL per batch is far cheaper)
local drop = {}

for i = 1, #KEYS - 2 do
  local key = KEYS[2 + i]
  local entry = ARGV[3 + 2 * i]
  local token = ARGV[4 + 2 * i]
  local rec = redis.call('HMGET', key, 'entry', 'state', 'attempts', 'max_attempts', 'kind', 'payload',
    'enqueued_at', 'id', 'dedup_key', 'run_token', 'started_at', 'finished_at')
  if rec[10] == token and rec[2] == 'running' then
    replies[i] = {'run', rec[3], rec[4] or '1', rec[5] or '', rec[6] or 'null', rec[7] or rec[11], rec[11]}
  elseif rec[1] ~= entry or (rec[2] ~= 'queued' and rec[2] ~= 'running') then
    drop[#drop + 1] = entry
    replies[i] = {}
  else
    local attempts = tonumber(rec[3]) or 0
    if attempts >= (tonumber(rec[4]) or 1) then
      drop[#drop + 1] = entry
      local dead = redis.call('XADD', KEYS[2], 'MINID', '~', string.format('%d', now - retention), '*', 'id', rec[8])
      redis.call('HSET', key, 'state', 'dead', 'finished_at', now_s, 'dead_entry', dead, 'run_token', '',
        'error', 'worker lost: every attempt ended without a completion')
      redis.call('HDEL', key, 'next_attempt_at')
      if rec[9] and redis.call('GET', ARGV[3] .. rec[9]) == rec[8] then
        redis.call('DEL', ARGV[3] .. rec[9])
      end
      redis.call('PEXPIRE', key, retention)
      replies[i] = {'dead', rec[8]}
    else
      attempts = attempts + 1
      redis.call('HSET', key, 'state', 'running', 'attempts', attempts, 'worker', ARGV[2], 'started_at', now_s,
        'run_token', token)
      if rec[12] then
        redis.call('HDEL', key, 'finished_at')
      end
      replies[i] = {'run', tostring(attempts), rec[4] or '1', rec[5] or '', rec[6] or 'null', rec[7] or now_s, now_s}
    end
  end
end
if #drop > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(drop))
  redis.call('XDEL', KEYS[1], unpack(drop))
end
return replies
