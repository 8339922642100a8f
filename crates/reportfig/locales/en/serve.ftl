# `reportfig serve`: what the server and its API say.

serve-bad-addr = --addr { $addr } is not an address to listen on
    .hint = give HOST:PORT with an IP address, e.g. 127.0.0.1:7860 (this computer only) or 0.0.0.0:7860 (the whole network, with a token)
serve-token-too-short = the token must be at least { $min } characters without spaces, so that it cannot be guessed
    .hint = leave out --token on a network address and one is made for you, or use e.g. `openssl rand -hex 16`
serve-no-randomness = cannot make a random token or image id: { $reason }
serve-no-data-folder = no user data folder is known on this system
    .hint = pass --data DIR
serve-queue-zero = --queue must be at least 1
serve-cannot-listen = cannot listen on { $addr }: { $reason }
    .hint = another program may be using the port: choose another with --addr, e.g. 127.0.0.1:7861
serve-job-lost = the server stopped before this image was made
    .hint = send it again
serve-caption-too-long = the caption is longer than { $max } characters
    .hint = a caption is one sentence about the picture; put the rest of the text in the report
serve-negative-too-long = the negative prompt is longer than { $max } characters
serve-unauthorized = this server needs its token: send the header `Authorization: Bearer TOKEN`
    .hint = the person who started the server has the token (it is printed when the server starts)
serve-host-not-local = this server has no token, so it answers only requests addressed to this computer (localhost or 127.0.0.1)
    .hint = to serve other computers or a reverse proxy, start it with --token
serve-needs-json = the request body must be JSON, sent with `Content-Type: application/json`
serve-body-too-large = the request is larger than { $max } KiB
serve-bad-json = the request is not what the API takes: { $reason }
    .hint = send {"{"}"caption": "..."{"}"}, optionally with style, size, seed, steps, guidance, sampler and negative
serve-queue-full = too many images are waiting; try again in { $seconds } seconds
serve-no-such-image = there is no such image (it may have been cancelled or deleted)
serve-image-not-ready = the image is not finished yet
    .hint = watch GET /api/images/ID until its state is done
serve-not-found = there is nothing at this address; the API is under /api (see the README)
serve-token-generated = this server listens on the network, so every request needs this token (shown only now): { $token }
serve-listening = listening on { $url } (stop with Ctrl-C)
serve-stopping = stopping: the image being made is abandoned; waiting images are recorded as lost
serve-log-done = { $id } done in { $seconds } s after waiting { $waited } s: { $caption }
serve-log-failed = { $id } failed: { $error }
serve-log-cancelled = { $id } cancelled

# Uploaded outlines (POST /api/batches).
serve-bad-outline-format = format "{ $format }" is not an outline format
    .hint = use format=md (Markdown), format=txt (text, one caption per line) or format=csv
serve-bad-batch-query = the upload's settings are not what the API takes: { $reason }
    .hint = the settings are name, format, style, size and seed, e.g. /api/batches?name=report.md&style=flat-infographic
serve-outline-too-large = the outline is larger than { $max } KiB, far more than a report's outline needs
    .hint = check that this is the outline you meant; split a very long list into several outlines
serve-outline-cover = { $path }:{ $line }: {"{"}cover{"}"} is not available for outlines uploaded to the server yet
    .hint = remove {"{"}cover{"}"} from that figure, or run this outline on your own computer with reportfig batch
serve-batch-too-many = the outline has { $count } figures, more than this server queues at once ({ $max })
    .hint = split the outline into parts of at most { $max } figures, or ask the person who runs the server to raise --queue
serve-no-such-batch = there is no such batch of figures
serve-batch-not-ready = some figures of this batch are still waiting or being made
    .hint = watch GET /api/batches/ID until its state is done, failed or cancelled

# The page at /.
serve-page-title = Illustrations for reports
serve-page-lead = Write what the picture should show, in Korean or English, then choose a style and a size.
serve-page-caption = Caption
serve-page-caption-example = e.g. Smart traffic signals at a busy city intersection
serve-page-style = Style
serve-page-style-none = None (the caption as typed)
serve-page-size = Size
serve-page-size-default = The model's own
serve-page-seed = Seed
serve-page-seed-random = random
serve-page-token = Token (ask the person who runs the server)
serve-page-make = Make the picture
serve-page-download = Download PNG
serve-page-queued = Waiting: { $position } ahead
serve-page-running = Making: step { $step } of { $steps }
serve-page-done = Done
serve-page-failed = Failed
serve-page-seed-shown = seed { $seed } (enter it above to make the same picture again)
serve-page-outline-title = A whole report's figures
serve-page-outline-lead = Upload the report's outline (Markdown, text with one caption per line, or CSV): every figure is made with the style and size chosen above, and you get them all in one ZIP with a gallery page.
serve-page-outline = Outline file
serve-page-upload = Make every figure
serve-page-zip = Download all (ZIP)
serve-page-batch-progress = { $done } of { $total } figures done
serve-page-cancelled = Cancelled
