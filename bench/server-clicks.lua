-- wrk script: POST /v1/clicks with the body the browser core sends (sendBeacon, text/plain).
-- Each thread's visitor id changes per request, so the dedupe lookup does real work.
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

request = function()
  n = n + 1
  local body = string.format(
    '{"affiliate":"alice","url":"https://www.shop.test/shoes?ref=alice&utm_campaign=spring",' ..
    '"referrer":"https://blog.example/post","consent":"granted","via":"query","landing":"/shoes",' ..
    '"visitor":"v%015d","campaign":{"utm_campaign":"spring"}}', n % 50000)
  return wrk.format(nil, "/v1/clicks", nil, body)
end
