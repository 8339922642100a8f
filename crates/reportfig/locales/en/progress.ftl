# Progress on the terminal: stages, notes and bars.

progress-step = {"  "}step
progress-figures = figures
progress-decoding = decoding the image
# indicatif template; { $pos } and the others are filled by the bar itself.
progress-bar = { $label } { $pos }/{ $len } { $bar } { $elapsed } so far
progress-bar-eta = { $label } { $pos }/{ $len } { $bar } { $elapsed } so far, about { $eta } left

stage-loading-model = loading { $name }
note-lora-merged = LoRA { $name } merged at weight { $weight }
note-model-loaded = model loaded in { $seconds } s
stage-loading-translator = loading the translator { $name }
note-translator-loaded = translator loaded in { $seconds } s
note-translated = { $caption } → { $english }
stage-downloading = downloading { $name } (this can take a while the first time)
stage-downloading-translator = downloading the translator { $name } (about { $megabytes } MB the first time)
note-downloading-file = {"  "}downloading { $file } ({ $size })
note-random-seed = seed { $seed } (pass --seed { $seed } to make this image again)
note-print-upscaler = enlarging for print with the upscaler { $name } (×{ $scale }), then Lanczos to the page's exact pixels
note-print-lanczos = enlarging for print with a plain Lanczos resize (softer than a learned upscaler; give --upscaler DIR with realesr-general-x4v3 weights for a sharper page)
note-print-reduced = the page at { $dpi } dpi is { $width } x { $height } pixels, no larger than the picture: it is only resized (Lanczos)
note-wrote = wrote { $path } ({ $seconds } s)
note-up-to-date = { $file }: up to date
note-figure-failed = failed { $file }: { $error }
note-batch-stopped = stopped; every figure made so far is saved
note-batch-stopping = stopping after the current figure (press Ctrl-C again to stop at once)
stage-figure = [{ $position }/{ $of }] { $file }{ $why }: { $caption }
stage-figure-new = {""}
stage-figure-changed = {" "}(changed: { $fields })
stage-figure-unusable = {" "}(made again: { $reason })
stage-compare-cell = [{ $done }/{ $of }] row { $row }, column { $column }: { $label }
note-plan-model-not-downloaded = { $name } is not downloaded yet; the plan uses its defaults (prompt lengths are estimated)
note-plan-lora-not-downloaded = the LoRA { $names } is not downloaded either, so this plan cannot tell which existing figures were made with it (a dry run never downloads)
note-plan-translator-not-downloaded = the translator { $name } is not downloaded, so this plan shows Korean captions as typed (a dry run never downloads)
    .hint = run `reportfig models fetch { $name }` to see the English prompts here

warn-for-figure = { $file }: { $text }
warn-english-has-korean = the English prompt still has Korean letters, which these models read poorly: "{ $text }"
    .hint = add the words to a glossary (--glossary), or give the English yourself ({"{"}en="..."{"}"} in an outline)
warn-caption-in-korean = the caption goes to the model in Korean (not translated), which these models understand far worse than English, so the picture may not match it
    .hint = let reportfig translate it (leave out --no-translate), or write the caption in English
warn-negative-ignored = the negative prompt has no effect: with guidance at 1 or below (turbo models use 0) the model does not use it
note-lcm-style-settings = this model is made for LCM sampling, so the style's steps, guidance and sampler are set aside: { $steps } steps, guidance { $guidance }, sampler { $sampler } (--steps, --guidance and --sampler choose others)
note-distilled-style-settings = { $model } is distilled to draw in few steps, so the style's steps, guidance and sampler are set aside: { $steps } steps, guidance { $guidance }, sampler { $sampler } (--steps, --guidance and --sampler choose others)
warn-negative-ignored-lcm = the negative prompt has no effect: this LCM model takes the guidance as a setting and never uses a negative prompt
warn-dropped-words = the prompt is longer than the model can read (77 tokens: about 50 English words, fewer in Korean), so these words had no effect: "{ $words }"
    .hint = shorten the caption, or put what matters most first
warn-style-words-left-out = caption and style together are longer than { $model } can read ({ $window } tokens), so these style words were left out (the caption is kept whole): { $words }
warn-caption-too-long = the caption alone is longer than { $model } can read ({ $window } tokens); its last words will have no effect
    .hint = shorten the caption, or put what matters most first
warn-negative-cut = the negative prompt is longer than { $model } can read ({ $window } tokens), so its end was left out: { $words }
warn-translation-empty = the translator gave no English for "{ $caption }", so the caption is used as typed
    .hint = give the English yourself ({"{"}en="..."{"}"} in an outline, or --no-translate with an English caption)
warn-translation-cut = the translation of "{ $caption }" was cut off at the translator's length limit ("{ $text }"), so the caption is used as typed
    .hint = shorten the caption, or give the English yourself ({"{"}en="..."{"}"} in an outline)
warn-translation-lost-terms = the translation of "{ $caption }" lost glossary terms: { $terms }
    .hint = check the English below, or give it yourself ({"{"}en="..."{"}"} in an outline)
warn-translation-cache = the translations could not be kept for the next run: { $reason }

# The summary on stdout at the end of a batch.
summary-counts = { $generated } generated, { $skipped } up to date, { $failed } failed
summary-counts-shards = { $counts }, { $other } left to other shards
summary-failed = failed: { $file }: { $error }
summary-stopped = stopped early: { $not_started ->
        [one] 1 figure
       *[other] { $not_started } figures
    } not started; run the same command again to continue
summary-stray = not in the outline (left alone): { $files }
summary-manifest = manifest: { $path }
summary-gallery = gallery: { $path }
summary-illustrated = illustrated outline: { $path }

stage-preparing-export = finding { $name } (downloading what is missing, unless --offline)
stage-writing-bundle = writing the bundle to { $dir } ({ $size })
stage-checking-bundle = checking every file of the bundle { $dir } before installing it
note-card-non-commercial = note: { $model } declares the licence { $licence } on its model card, which does not allow commercial use. Check with the licensor before using its pictures in published material.
summary-docx = Word document (opens in Word and HWP): { $path }
docx-caption = Figure { $number }. { $caption }
docx-figure-missing = (figure not made yet: { $file })

plan-header = { $outline }: { $figures } figures; { $generate } to generate, { $skip } up to date; output folder { $out }
plan-header-shard = { $outline }: { $figures } figures, shard { $shard }; { $generate } to generate, { $skip } up to date; output folder { $out }
plan-figure = { $file }  { $action }
plan-caption = {"  "}caption:  { $text }
plan-style = {"  "}style:    { $styles }
plan-no-style = {"  "}style:    (none)
plan-prompt = {"  "}prompt:   { $text }
plan-negative = {"  "}negative: { $text }
plan-settings = {"  "}size { $width }x{ $height }, seed { $seed }, steps { $steps }, guidance { $guidance }, sampler { $sampler }, model { $model }
plan-model-default = model default
plan-stray = Not in the outline (left alone): { $files }
plan-action-skip = skip (up to date)
plan-action-new = generate (new)
plan-action-changed = generate (changed: { $fields })
plan-action-unusable = generate (the file there is unusable: { $reason })
plan-action-forced = generate (--force)
plan-action-other-shard = other shard
note-draft-made = this is a draft from the tiny decoder; for the final picture run the same command without --decoder tiny (same seed { $seed }: the same picture, in full quality)
note-draft-batch = these figures are drafts from the tiny decoder; run the same batch without --decoder tiny to make them again in full quality (same seeds, the same pictures)
note-draft-compare = these pictures are drafts from the tiny decoder; make the one you choose in full quality with generate and its seed (without --decoder tiny: the same picture)
stage-downloading-tiny-decoder = downloading the tiny preview decoder { $name } (about { $megabytes } MB the first time)
stage-downloading-upscaler = downloading the upscaler { $name } (about { $megabytes } MB the first time)
