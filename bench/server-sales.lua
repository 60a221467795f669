-- wrk script: POST /v1/sales as a shop's backend sends them (secret key, a new order each time,
-- an affiliate's coupon, two items), so every request credits bella, creates the referral and
-- its ledger rows, and queues the affiliate's email and the program's webhooks where set.
local n = 0
local prefix = ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("REFTRAIL_SECRET_KEY")

init = function(args)
  -- Distinct order ids across runs on the same database and across threads.
  prefix = string.format("%x%x", os.time(), math.random(0, 0xffffff))
end

request = function()
  n = n + 1
  local body = string.format(
    '{"order_id":"b%s-%d","amount":1250000,"currency":"VND","coupon":"BELLA",' ..
    '"customer":{"email_hash":"%064x"},' ..
    '"items":[{"sku":"shoe-1","category":"shoes","amount":1000000,"quantity":1},' ..
    '{"sku":"sock-2","category":"socks","amount":250000,"quantity":2}]}', prefix, n, n)
  return wrk.format(nil, "/v1/sales", nil, body)
end
