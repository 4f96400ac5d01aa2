import { createHash } from 'node:crypto';
import type { CachedScript } from '../scriptCall.js';

/**
 * The Redis side of RedisStore: one script that decides a batch of calls, in order, atomically, on one
 * path for every call. It is `applyCall` from core/gcra.ts written again in Lua, operation for operation:
 * every decision is taken on how far a TAT is ahead of now in band units, an integer below 2^53, so Lua's
 * doubles hold it exactly, as JS numbers do, and both stores make identical decisions.
 *
 * Arguments: see scriptArgs.ts (the wire format). In short: ARGV[1] whose clock; ARGV[2] where the
 * policies start, or 'S' when no per-call arguments follow (every call is policy 1, cost 1, no slack, at
 * Redis' clock); the per-call arguments; the policies. KEYS: every call's band keys, in order.
 *
 * Reply: per call, allowed (1|0) then per band how far its TAT is ahead of now in band units (integer
 * replies), and last the `now` of the batch (see replyDecoder.ts).
 *
 * Stored value, one per key and band: the TAT in ms as a decimal. A whole ms is stored as an integer
 * (which Redis keeps integer-encoded); otherwise as the whole ms below it, a point, and as many digits
 * as identify the band unit of the fraction (one more digit than the scale has), e.g. 1764000000123.43
 * for 3/7 ms past 1764000000123. Read back, the digits round to that band unit exactly. Each key has a
 * PX of the whole ms until the band is full again, so idle keys vanish; a band full after a call is deleted.
 */
export const DECIDE_BATCH_SCRIPT = `
local serverTime = ARGV[1] == '1'
local simple = ARGV[2] == 'S'
local policiesAt = 3
if not simple then policiesAt = tonumber(ARGV[2]) end
local floor = math.floor
local ceil = math.ceil
local find = string.find
local sub = string.sub
local format = string.format
local call = redis.call

-- Band: { scale, emission, tolerance, 10^digits, format } (digits: of the scale, plus one).
local function band(scale, emission, tolerance)
  local digits = #format('%d', scale) + 1
  return { scale, emission, tolerance, 10 ^ digits, '%d.%0' .. digits .. 'd' }
end

-- aheadOf from core/gcra.ts: how far a stored TAT is ahead of now, in band units (0: the bucket is full).
local function aheadOf(stored, now, scale)
  local dot = find(stored, '.', 1, true)
  local ahead
  if dot then
    local digits = sub(stored, dot + 1)
    ahead = (tonumber(sub(stored, 1, dot - 1)) - now) * scale + floor(tonumber(digits) * scale / 10 ^ #digits + 0.5)
  else
    ahead = (tonumber(stored) - now) * scale
  end
  if ahead > 0 then return ahead end
  return 0
end

-- writeTat from core/gcra.ts: stores the TAT \`ahead\` band units after now (ahead > 0), PX until full.
-- Numbers go out through '%d': Redis would write a Lua number with 14 significant digits only.
local function writeTat(key, now, ahead, b)
  local scale = b[1]
  local whole = ceil(ahead / scale)
  local short = whole * scale - ahead
  if short == 0 then
    call('SET', key, format('%d', now + whole), 'PX', format('%d', whole))
  else
    call('SET', key, format(b[5], now + whole - 1, floor((scale - short) * b[4] / scale + 0.5)), 'PX', format('%d', whole))
  end
end

-- MAX_AHEAD_UNITS from core/gcra.ts: no TAT runs further ahead of now (a charge is capped there).
local maxAhead = 4503599627370496

-- Stores band b's TAT \`ahead\` band units after now, or deletes the key of a full band.
local function store(key, now, ahead, b)
  if ahead > 0 then
    writeTat(key, now, ahead, b)
  else
    call('DEL', key)
  end
end

-- Policy: { bands, blockMs }.
local policies = {}
local a = policiesAt
local p = 1
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local bands = {}
  for b = 1, n do
    bands[b] = band(tonumber(ARGV[a + 3 * b - 1]), tonumber(ARGV[a + 3 * b]), tonumber(ARGV[a + 3 * b + 1]))
  end
  policies[p] = { bands, tonumber(ARGV[a + 1]) }
  p = p + 1
  a = a + 2 + 3 * n
end

local now = 0
if serverTime then
  local t = call('TIME')
  now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
end

local out = {}
local o = 1
local k = 0
local keyCount = #KEYS
local afters = {}
a = 3
local parts = {}
-- applyCall from core/gcra.ts, once per call: all bands or none, a refund (cost < 0) never refused, a
-- charge (slack -1) never refused, and under a block a refusal that takes tokens pushes the bands that refused.
while true do
  local index = 1
  local cost = 1
  local perBand = false
  local slack = 0
  if simple then
    if k >= keyCount then break end
  else
    if a >= policiesAt then break end
    index = tonumber(ARGV[a])
    if index > 0 then
      a = a + 1
    else
      index = -index
      local given = ARGV[a + 1]
      if find(given, ':', 1, true) then
        perBand = true
        local b = 1
        for part in string.gmatch(given, '[^:]+') do
          parts[b] = tonumber(part)
          b = b + 1
        end
      else
        cost = tonumber(given)
      end
      slack = tonumber(ARGV[a + 2])
      if not serverTime then now = tonumber(ARGV[a + 3]) end
      a = a + 4
    end
  end
  local policy = policies[index]
  local bands = policy[1]
  local n = #bands
  local allowed = 1
  local changes = false
  local takes = false
  -- Per band: its deficit now (the reply, unless the call is applied) and after the call.
  for b = 1, n do
    local band = bands[b]
    local scale = band[1]
    local stored = call('GET', KEYS[k + b])
    local ahead = 0
    if stored then ahead = aheadOf(stored, now, scale) end
    local part = cost
    if perBand then part = parts[b] end
    out[o + b] = ahead
    afters[b] = ahead + part * band[2]
    if part ~= 0 then changes = true end
    if part > 0 then takes = true end
    if part >= 0 and slack >= 0 and afters[b] - band[3] > slack * scale then allowed = 0 end
  end
  out[o] = allowed
  if allowed == 1 and changes then
    for b = 1, n do
      local part = cost
      if perBand then part = parts[b] end
      if part ~= 0 then
        local after = afters[b]
        if after < 0 then after = 0 end
        if after > maxAhead then after = maxAhead end
        store(KEYS[k + b], now, after, bands[b])
        out[o + b] = after
      end
    end
  elseif allowed == 0 and takes and policy[2] > 0 then
    for b = 1, n do
      local band = bands[b]
      local part = cost
      if perBand then part = parts[b] end
      local ahead = out[o + b]
      if part >= 0 and afters[b] - band[3] > slack * band[1] then
        local blocked = band[3] + policy[2] * band[1] - band[2]
        if blocked > maxAhead then blocked = maxAhead end
        if blocked > ahead then
          writeTat(KEYS[k + b], now, blocked, band)
          out[o + b] = blocked
        end
      end
    end
  end
  o = o + 1 + n
  k = k + n
end
out[o] = now
return out
`;

/** SHA1 of the script, for EVALSHA. */
export const DECIDE_BATCH_SHA = createHash('sha1').update(DECIDE_BATCH_SCRIPT).digest('hex');

/** The decide script with its SHA1, as RedisStore runs it. */
export const DECIDE_BATCH: CachedScript = { body: DECIDE_BATCH_SCRIPT, sha: DECIDE_BATCH_SHA };
