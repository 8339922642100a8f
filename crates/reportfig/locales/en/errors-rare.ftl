# The rarer errors: the system's reasons, outlines with nothing in them, and the engine's
# errors below the model's networks (text encoder, tokenizer, scheduler, tiny decoder, the
# request checked against the model, a failed computation).

# Why the system refused to read or write (the reason part of "cannot read X: …").
os-reason = { $why ->
        [not-found] no such file or folder
        [denied] permission denied
        [exists] it already exists
        [full] the disk is full
        [too-large] the file is larger than this drive or the file-size limit allows
        [read-only] the drive or folder is read-only
        [is-a-folder] it is a folder, not a file
        [not-a-folder] a part of the path is a file, not a folder
        [not-empty] the folder is not empty
        [invalid-data] its contents are not valid ({ $text })
        [timed-out] the operation timed out (a network drive may be slow or disconnected)
        [interrupted] the operation was interrupted
        [unexpected-eof] the file ends too early (it may have been cut short while copying)
        [disconnected] the drive is no longer connected
       *[other] { $text }
    }
write-parent-is-file = { $dir } is a file, not a folder
write-folder-in-the-way = a folder of that name is in the way

outline-empty = { $path }: the outline has no figures
    .hint = { $format ->
        [markdown] write each figure as a heading (## Caption) or a line starting with "Figure:" or "그림:"
        [text] write one caption per line; lines starting with # are comments
       *[csv] add one row per figure under the header line, with the caption in the caption column
    }
outline-empty-caption = { $path }:{ $line }: { $place ->
        [text-line] this line
        [csv-row] this row
        [heading] this heading
       *[figure-line] this figure line
    } has no caption
    .hint = { $place ->
        [text-line] write the caption before the {"{"}…{"}"} settings
        [csv-row] fill in the caption cell, or delete the row
        [heading] write the caption after the #, or remove the empty heading
       *[figure-line] write the caption after "Figure:" or "그림:"
    }
outline-unknown-style = { $path }:{ $line }: unknown style "{ $style }": { $reason }

# The request checked against the model.
request-not-multiple = { $side } { $value } is not a multiple of { $multiple } for this model; try { $lower } or { $upper }
request-guidance = guidance { $value } must be between 0 and { $max }
request-strength = strength { $value } must be above 0 and at most 1
    .hint = use the model in diffusers layout (a folder or a Hugging Face repo) with --lora, or leave --lora out
request-picture-size = the { $part ->
        [picture] starting picture
       *[mask] mask
    } is { $size }, the request { $request }
    .hint = resize it to the picture's size first
request-internal = the request could not be made: { $detail }
pipeline-compute = the computation failed: { $detail }
    .hint = the computer may be out of memory: close other programs, or try a smaller --size or --dtype f32; if it keeps failing, the model's files may be damaged
pipeline-stopped = stopped before the image was finished

# The text encoder and its tokenizer.
text-missing-tokenizer-file = { $path } is missing
    .hint = a tokenizer folder needs vocab.json and merges.txt (or tokenizer.json): download the model again or point --model at a complete folder
text-bad-tokenizer-file = { $path } is not a usable CLIP tokenizer file: { $detail }
    .hint = the file is damaged or from another kind of model; download the model again
text-tokenize = could not tokenize the prompt starting "{ $start }": { $detail }
text-missing-weights = { $dir } has no model.safetensors
    .hint = reportfig reads text encoder weights only in the safetensors format (pytorch_model.bin is not supported): download the model's safetensors files
text-weights = cannot load the text encoder weights { $path }: { $detail }
    .hint = the file does not match { $config }; the download may be incomplete or the folder mixes two models
text-missing-component = { $dir } has no { $what ->
        [encoder] text encoder
       *[set] usable text encoder set
    }
    .hint = { $what ->
        [encoder] model_index.json lists neither text_encoder nor text_encoder_2; reportfig needs a Stable Diffusion model with its text encoder
       *[set] SD 1.x/2.x needs exactly one text encoder; SDXL needs one with a projection (CLIPTextModelWithProjection in text_encoder_2)
    }
text-model = the text encoder failed: { $detail }

# The tiny draft decoder (diffusers' AutoencoderTiny, as madebyollin/taesd).
tiny-decoder-no-weights = { $dir } has no diffusion_pytorch_model.safetensors
    .hint = a tiny decoder folder holds diffusers' AutoencoderTiny (config.json and diffusion_pytorch_model.safetensors, as madebyollin/taesd has them)
tiny-decoder-file = cannot read the tiny decoder file { $path }: { $detail }
    .hint = the file is damaged or incomplete (an interrupted copy or download?); copy or download the tiny decoder again
tiny-decoder-unsupported = `{ $field }` is { $value } in { $path }, which reportfig cannot use
    .hint = { $field ->
        [act_fn] only relu, silu/swish and gelu are supported
        [upsample_fn] only nearest upsampling is supported
        [num_decoder_blocks] it must be as long as decoder_block_out_channels, and not empty
        [decoder_block_out_channels] the widths must all be the same, 1 to 1024, and block counts at most 64
        [scaling_factor] it must be a positive number
       *[other] it is out of range; check that this is an AutoencoderTiny config.json
    }
tiny-decoder-weights = the tiny decoder weights in { $path } do not fit its config.json ({ $detail })
    .hint = the weights and config.json probably come from different models; download the tiny decoder again

# A model's scheduler_config.json.
scheduler-parse = { $path } is not a valid scheduler_config.json: { $detail }
    .hint = the file is damaged; download the model again
scheduler-unsupported = scheduler_config.json field `{ $field }` = { $value } is not supported: { $detail }
scheduler-steps = { $steps } steps cannot be used with this sampler: { $detail }
scheduler-schedule = the sampler's schedule cannot be made: { $detail }

# The translator's files.
translator-weights = the translator weights { $path } do not fit its config.json: { $detail }
    .hint = check that both come from the same model and that the download is complete
translator-compute = translation failed: { $detail }
translator-file-unreadable = cannot read { $path }: { $reason }
    .hint = check that the translator folder is complete
translator-bad-spm = { $path } is not a SentencePiece model: { $detail }
    .hint = source.spm and target.spm must be the files of the translator's repository; download the translator again
translator-unsupported-spm = { $path } is a SentencePiece model that reportfig cannot read: { $detail }
    .hint = Marian translators from Helsinki-NLP (opus-mt-*) use unigram models, which are supported
translator-bad-json = { $path } is not what { $what } should hold: { $detail }
    .hint = download the translator again
translator-missing-special = { $path } has no entry for the special token "{ $token }", which the translator needs
    .hint = vocab.json must map `</s>`, `<unk>` and `<pad>` to ids
pickle-refused = { $path } refers to `{ $what }`, which a PyTorch state dict never contains; the file was refused without running anything
    .hint = it may be malicious; use the repository's model.safetensors instead
pickle-malformed = { $path } is not a PyTorch checkpoint: { $detail }
pickle-write = { $path }: cannot write the converted weights to { $out }: { $detail }

family-unknown = unknown model family `{ $name }`; use one of sd15, sd21, sdxl, sd-turbo, sdxl-turbo
isa-unknown = unknown instruction set "{ $name }"; the choices are avx512, avx2 and portable
isa-unsupported = this CPU cannot run the { $isa } kernels (they need { $needs }); it supports { $supported }

# A glossary file (--glossary, or glossary.toml in the user's settings folder).
glossary-unreadable = cannot read the glossary { $path }: { $reason }
    .hint = check the path given with --glossary
glossary-bad = { $path }:{ $line }: { $problem ->
        [no-korean] the term "{ $term }" has no Korean letters; the left side is the Korean word to look for
        [no-english] the term "{ $term }" has no English
        [still-korean] the English for "{ $term }" is "{ $english }", which still has Korean letters; the model reads only English
       *[toml] { $detail }
    }
    .hint = write one term per line under [terms], as "포항시" = "Pohang City" (both in quotes)

# Why a figure already in the folder is made again, and the settings that changed.
unusable-changed-since-recorded = its contents differ from what manifest.json recorded
unusable-damaged = the picture is damaged ({ $detail })
unusable-untitled-missing = its plain picture { $file } is missing
unusable-no-title = it does not carry the outline's title
request-field = { $field ->
        [caption] caption
        [style] style
        [prompt] prompt
        [negative-prompt] negative prompt
        [size] size
        [steps] steps
        [guidance] guidance
        [seed] seed
        [sampler] sampler
        [lora] LoRA
        [decoder] decoder
        [starting-picture] starting picture
       *[model] model
    }
list-more = { $first }, { $rest }

# A picture file reportfig writes or reads.
output-is-folder = { $path } is a folder, not a file
    .hint = give a file name such as { $example } with -o
output-missing-folder = the folder { $dir } does not exist
    .hint = create it first or choose another place with -o
output-parent-not-folder = { $dir } is a file, not a folder, so nothing can be written inside it
    .hint = choose another place with -o
output-unwritable-folder = cannot write in the folder { $dir }: { $reason }
    .hint = check that you may write there, or choose another folder with -o
output-write = writing { $path } failed: { $reason }; the previous file (if any) was left as it was
output-encode = could not encode the image as PNG: { $detail }
output-empty-image = the image is empty ({ $width }x{ $height }); nothing to write
output-read = cannot read { $path }: { $reason }
output-unreadable-png = { $path } is not a readable PNG file ({ $detail })
    .hint = make it again or remove it
output-bad-metadata = the reportfig metadata in { $path } is damaged ({ $detail })
    .hint = make the image again or remove it
output-newer-format = { $path } was written by a newer reportfig (metadata format { $found }, this version reads up to { $supported })
    .hint = update reportfig
internal-error = internal error: { $detail }

# An outline line's {…} settings block or file= name.
outline-bad-settings = { $path }:{ $line }: cannot read the settings block { $block }: { $problem ->
        [not-closed] it is not closed with {"}"} at the end of the line (settings go last on the line)
        [two-blocks] a line takes one settings block, at its end; put all settings in that one
        [twice] "{ $key }" is given twice
        [no-value] "{ $key }" has no value (write { $key }=…)
        [quote-not-closed] the quoted value of "{ $key }" is not closed
       *[empty-value] "{ $key }" has an empty value
    }
    .hint = write settings like {"{"}style=isometric-city seed=7 negative="text, watermark"{"}"}
outline-bad-file-name = { $path }:{ $line }: file name "{ $value }" { $problem ->
        [empty] is empty
        [folder] must not contain a folder, a drive or start with a dot
        [characters] contains characters that are not allowed in file names
        [device] is a name Windows keeps for a device (CON, PRN, AUX, NUL, COM1, LPT1 and the like)
       *[not-png] must end in .png
    }
    .hint = give a plain name such as bus-lanes.png; it is written inside the figures folder
outline-csv-cells = this row has { $cells } cells but the header has { $header }

# The upscaler (--upscaler FOLDER) that cannot be used: the reason part of upscaler-unusable.
upscaler-file = cannot read { $path } ({ $detail }); fix or delete the file
upscaler-bad-config = `{ $field }` is { $value } in { $path }; it must be between { $min } and { $max }
upscaler-weights = the weights in { $path } do not fit an SRVGGNetCompact with { $features } features and { $convolutions } convolutions ({ $detail }); give the matching config.json beside them
upscaler-run = the upscaler failed: { $detail }
upscaler-several-pth = { $dir } holds { $count } .pth files; keep only the one upscaler to use
upscaler-not-compact = { $path } is not a Real-ESRGAN compact (SRVGGNetCompact) checkpoint ({ $detail }); use realesr-general-x4v3.pth as released
