# `reportfig serve`: what the server and its API say.

serve-bad-addr = --addr { $addr } is not an address to listen on
    .hint = give HOST:PORT with an IP address, e.g. 127.0.0.1:7860 (this computer only) or 0.0.0.0:7860 (the whole network, with a token)
serve-token-too-short = the token must be at least { $min } characters without spaces, so that it cannot be guessed
    .hint = leave out --token on a network address and one is made for you, or use e.g. `openssl rand -hex 16`
serve-no-randomness = cannot make a random token or image id: { $reason }
serve-no-data-folder = no user data folder is known on this system
    .hint = pass --data DIR
serve-queue-zero = --queue must be at least 1
serve-per-client-zero = --per-client must be at least 1
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
serve-bad-json = the request is not what the API takes: { $reason }
    .hint = send {"{"}"caption": "..."{"}"}, optionally with style, size, seed, steps, guidance, sampler, negative, init_image, mask and strength
serve-queue-full = too many images are waiting; try again in { $seconds } seconds
serve-client-full = { $waiting } of your images are already waiting, the most one computer may have at once ({ $max }); try again in { $seconds } seconds
    .hint = others take turns with yours; each one that is made frees a place
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

# Starting pictures (init_image and mask of POST /api/images).
serve-picture-too-large = the picture { $file } is larger than { $max } MiB
    .hint = save it as a JPEG or make it smaller (2000 pixels across is plenty)
serve-pictures-too-large = the request with its pictures is larger than { $max } MiB
    .hint = the starting picture and the mask may be { $each } MiB each; save them as JPEG or make them smaller
serve-picture-bad-data = the data of the picture { $file } is not base64: { $reason }
    .hint = send it like {"{"}"init_image": {"{"}"name": "hall.jpg", "data": "BASE64 OF THE FILE"{"}"}{"}"}
serve-mask-needs-picture = a mask only applies to a starting picture; send init_image too
serve-strength-needs-picture = strength only applies to a starting picture; send init_image too
serve-bad-strength = strength { $strength } must be above 0 and at most 1 (0.3 keeps most of the picture, 0.6 is usual, 1 keeps only its layout)

# Comparisons (POST /api/compares).
serve-bad-compare-json = the comparison is not what the API takes: { $reason }
    .hint = send {"{"}"caption": "...", "styles": ["a", "b"], "seeds": [1, 2]{"}"}, optionally with vary (e.g. ["strength=0.4,0.8"]), style, size, steps, guidance, sampler, negative, init_image, mask and strength
serve-compare-too-many = the comparison has { $images } pictures; this server makes at most { $max } on one sheet
    .hint = compare fewer styles, seeds or values at once
serve-compare-no-model = a served comparison cannot vary the model: this server has one model loaded
    .hint = vary styles, seeds, steps, guidance, sampler or strength; compare models with reportfig compare --vary model=… on your own computer
serve-no-such-compare = there is no such comparison (it may have been cancelled or deleted)

# Uploaded outlines (POST /api/batches).
serve-bad-outline-format = format "{ $format }" is not an outline format
    .hint = use format=md (Markdown), format=txt (text, one caption per line) or format=csv
serve-bad-batch-query = the upload's settings are not what the API takes: { $reason }
    .hint = the settings are name, format, style, size and seed, e.g. /api/batches?name=report.md&style=flat-infographic
serve-outline-too-large = the outline is larger than { $max } KiB, far more than a report's outline needs
    .hint = check that this is the outline you meant; split a very long list into several outlines
serve-zip-too-large = the upload is larger than { $max } MB, the most an outline with its pictures may be
    .hint = put only the outline and the pictures it names in the ZIP; photos of a few megabytes are plenty
serve-zip-unreadable = { $name } cannot be read as a ZIP file ({ $reason })
    .hint = make the ZIP again from the report's folder (right click, then compress) and upload it whole
serve-zip-too-many-files = { $name } holds { $count } files, more than the { $max } an outline with its pictures needs
    .hint = put only the outline and the pictures it names in the ZIP
serve-zip-bad-path = { $name } holds "{ $entry }", a link or a path that leaves the ZIP's folder
    .hint = make the ZIP from the report's folder itself, with the pictures as plain files inside it
serve-zip-too-large-unpacked = { $name } unpacks to more than { $max } MB
    .hint = put only the outline and the pictures it names in the ZIP; photos of a few megabytes are plenty
serve-zip-no-outline = { $name } holds no outline (a .md, .txt or .csv file)
    .hint = put the outline in the ZIP beside its pictures, e.g. outline.md and photos/harbour.jpg
serve-zip-several-outlines = { $name } holds several outlines: { $files }
    .hint = put one outline in each ZIP (its pictures beside it), or upload them one by one
serve-outline-cover = { $path }:{ $line }: {"{"}cover{"}"} is not available for outlines uploaded to the server yet
    .hint = remove {"{"}cover{"}"} from that figure, or run this outline on your own computer with reportfig batch
serve-batch-too-many = the outline has { $count } figures, more than this server queues at once ({ $max })
    .hint = split the outline into parts of at most { $max } figures, or ask the person who runs the server to raise --queue
serve-batch-over-share = the outline has { $count } figures, more than one computer may have waiting on this server ({ $max })
    .hint = split the outline into parts of at most { $max } figures, or ask the person who runs the server to raise --per-client
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
serve-page-outline-lead = Upload the report's outline (Markdown, text with one caption per line, or CSV): every figure is made with the style and size chosen above, and you get them all in one ZIP with a gallery page. Figures that start from photos (image=photos/harbour.jpg): upload one ZIP holding the outline and its photos.
serve-page-outline = Outline file
serve-page-upload = Make every figure
serve-page-zip = Download all (ZIP)
serve-page-batch-progress = { $done } of { $total } figures done
serve-page-cancelled = Cancelled
serve-page-picture = Starting picture (optional: a photo or logo, PNG or JPEG)
serve-page-mask = Mask (optional: only the white part is repainted; the picture's size)
serve-page-strength = How much is repainted
serve-page-strength-hint = 0.3 keeps most of the photo, 0.6 is usual, 1 keeps only its layout
serve-page-picture-clear = Leave out the picture
serve-page-compare-title = Compare
serve-page-compare-lead = The caption above in several styles, seeds or settings side by side on one labelled sheet, to choose from (with the starting picture above, if one is chosen).
serve-page-compare-styles = Styles (one column each)
serve-page-compare-styles-hint = Hold Ctrl to choose several
serve-page-compare-seeds = Seeds (one row each)
serve-page-compare-seeds-hint = e.g. 1, 2
serve-page-compare-vary = Also vary (optional)
serve-page-compare-vary-hint = e.g. strength=0.4,0.8 or steps=1,2,4
serve-page-compare-make = Make the sheet
serve-page-compare-progress = picture { $cell } of { $cells }
serve-page-compare-download = Download the sheet (PNG)
serve-page-history-title = Your pictures
serve-page-history-lead = The pictures, sheets and outlines made from this browser, newest first; an outline gives its ZIP (kept by the server; another browser or computer has its own list).
serve-page-history-compare = comparison
serve-page-history-batch = outline
serve-page-history-seed = seed { $seed }
serve-bad-instance = --instance "{ $instance }" is not a name that can be used
    .hint = use at most { $max } letters, digits, dots, dashes or underscores, not starting with a dot
serve-instance-busy = another server named "{ $instance }" already uses this data folder ({ $dir })
    .hint = give each server that shares the folder its own --instance name, or stop the other one first
serve-job-elsewhere = this job is being made by the server instance "{ $instance }", which shares the data folder; only that instance can cancel it
    .hint = cancel it through the address that sent it, or delete it here once it is done
