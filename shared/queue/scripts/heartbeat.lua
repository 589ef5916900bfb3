-- heartbeat: keeps a consumer's claims alive by resetting their idle time (XCLAIM ... JUSTID),
-- but only for attempts this consumer still owns: the record's run token is the attempt's and
-- the entry is pending for this consumer. A claim another consumer took over is never taken back.
--
-- KEYS[1] priority stream   KEYS[2..n] job records, one per attempt
-- ARGV[1] group  ARGV[2] consumer  then per attempt i (KEYS[i + 1]): ARGV[2i + 1] entry id,
-- ARGV[2i + 2] run token
-- Returns the 1-based positions of the attempts this consumer no longer holds.

local lost = {}
for i = 2, #KEYS do
  local entry = ARGV[2 * i - 1]
  local held = redis.call('HGET', KEYS[i], 'run_token') == ARGV[2 * i]
  if held then
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry, entry, 1, ARGV[2])
    held = #pending == 1
  end
  if held then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry, 'JUSTID')
  else
    lost[#lost + 1] = i - 1
  end
end
return lost
