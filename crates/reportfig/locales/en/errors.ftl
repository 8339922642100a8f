# Errors: what went wrong, with the value, and in .hint how to fix it.

file-exists = { $path } already exists
    .hint = pass --force to replace it, or choose another name with -o
file-cannot-read = cannot read { $path }: { $reason }
folder-cannot-create = cannot create { $path }: { $reason }
caption-empty = the caption is empty
    .hint = write what the image should show, e.g. "Smart traffic signals at a busy city intersection"
steps-zero = --steps must be at least 1
steps-too-many = --steps { $steps } is more than the 1000 the models were trained with; 20 to 50 is usual
guidance-negative = --guidance { $guidance } must be zero or positive (7.5 is usual; turbo models use 0)
guidance-too-high = --guidance { $guidance } is more than { $max }, where pictures turn blank (7.5 is usual; turbo models use 0)
exact-ratio-needs-size = --exact-ratio needs a page size (--size a4-portrait, or a style with one)
output-parent-is-file = cannot write { $path }: { $folder } is a file, not a folder
    .hint = choose another place with -o
output-folder-missing = cannot write { $path }: the folder { $folder } does not exist
    .hint = create it first, or choose another file with -o
output-not-png = -o { $path }: reportfig writes PNG images only, not .{ $ext }
    .hint = use -o { $png } (Word, PowerPoint, Hangul and web pages all take PNG)
arg-bad-seed = a seed is a whole number of 0 or more, e.g. --seed 42 (leave it out for a random one)
arg-bad-steps = steps is a whole number, e.g. --steps 4 (turbo models: 1 to 4; others: 20 to 50)
sampler-unknown = unknown sampler "{ $name }"; choose one of: { $samplers }
arg-bad-dpi = dpi is a whole number from 50 to 1200, e.g. --dpi 300 (print) or --dpi 150 (slides)
upscaler-no-weights = { $dir } has no model.safetensors and no .pth file; an upscaler folder holds Real-ESRGAN compact weights (realesr-general-x4v3.pth as released, or model.safetensors). Give the right folder, --upscaler realesr-general-x4v3, or leave out --upscaler for a plain Lanczos resize
upscaler-unknown = there is no upscaler "{ $name }" and no folder or .pth file of that name
    .hint = the presets are { $presets }; or give a folder holding realesr-general-x4v3.pth (or model.safetensors), or the .pth file itself
upscaler-preset-unavailable = the upscaler { $name } is not on this computer and could not be downloaded
    .hint = download { $url } and put { $file } in { $folder } as it is (no conversion), or run "reportfig models fetch { $name }" where there is internet; without --upscaler, --print makes a plain Lanczos resize
upscaler-unusable = the upscaler in { $dir } cannot be used: { $reason }
arg-bad-guidance = guidance is a number, e.g. --guidance 7.5 (turbo models use 0)

style-not-found = no style named `{ $name }`; run `reportfig styles list` to see them all
style-not-found-near = no style named `{ $name }` (did you mean { $near }?); run `reportfig styles list` to see them all
style-ambiguous = `{ $name }` could mean several styles: { $candidates }; write the name of one
style-empty-stack = `{ $spec }` names no style; write one name, or several joined with `+` such as flat-vector-infographic+night-city
style-read-dir = cannot read the styles folder { $path }: { $reason }; check the path given to --styles-dir
styles-show-unknown-model = unknown model "{ $model }" for `styles show`
    .hint = give a preset ({ $presets }) or a family (sd15, sd21, sdxl, sd-turbo, sdxl-turbo)
import-no-config-folder = no user config folder is known on this system
    .hint = pass --out DIR

translate-caption-too-long = the caption is too long for the translator ({ $max } tokens at most): "{ $caption }"
    .hint = shorten it, or give the English yourself ({"{"}en="..."{"}"} in an outline, an en column in a CSV, or --no-translate)
translator-unusable = Korean captions are translated into English with the translator { $name }, which cannot be used here

device-cuda-unavailable = --device cuda is not available: { $reason }
    .hint = this reportfig was built without CUDA (cargo build --release --features cuda), or no NVIDIA GPU was found; use --device cpu
device-metal-unavailable = --device metal is not available: { $reason }
    .hint = build with --features metal on a Mac, or use --device cpu
isa-env-invalid = REPORTFIG_ISA: { $reason }
    .hint = unset REPORTFIG_ISA to use the widest kernels this CPU runs
fetch-offline-env = cannot download { $name }: HF_HUB_OFFLINE is set, which forbids downloads
    .hint = run `HF_HUB_OFFLINE= reportfig models fetch { $name }` on a computer with internet
fetch-failed = could not fetch { $name }

batch-markdown-needs-md = { $path }: --markdown needs a Markdown outline (.md), but this is a { $format } outline
    .hint = drop --markdown; the gallery index.html shows the figures with their captions
batch-dry-run-not-in-cache = --dry-run does not download models, and { $name } is not in the Hugging Face cache: { $reason }
    .hint = run `reportfig models fetch { $name }` first, or plan with a preset such as --model sd-turbo

compare-vary-bad = --vary { $spec }: { $problem }
    .hint = write --vary NAME=V1,V2 with NAME one of steps, guidance, sampler, strength (with --init-image), model, e.g. --vary steps=1,2,4 or --vary sampler=euler,dpmpp-2m
compare-caption-empty = a caption is empty
    .hint = write what the image should show, e.g. reportfig compare "Senior welfare centre opening" --styles flat-vector,paper-cut
compare-no-seeds = --seeds needs at least one seed, e.g. --seeds 1,2
compare-vary-twice = --vary { $axis } is given twice
    .hint = list all its values in one --vary, e.g. --vary steps=1,2,4
compare-too-many = the comparison has { $rows } rows and { $columns } columns ({ $images } images); at most 400 fit on one sheet
    .hint = compare fewer styles, seeds or values at once
compare-cell-error = row { $row }, column { $column }: { $text }
compare-file-exists = { $path } already exists
    .hint = pass --force to replace the sheet and its images, or choose another name with -o

# Mistakes on the command line, found by the argument parser.
usage-unknown-argument = unexpected argument '{ $arg }' found
usage-invalid-value = invalid value '{ $value }' for '{ $arg }'
usage-invalid-value-choices = invalid value '{ $value }' for '{ $arg }'; possible values: { $choices }
usage-missing = the following required arguments were not provided: { $args }
usage-unknown-command = unrecognized subcommand '{ $command }'
usage-conflict = the argument '{ $arg }' cannot be used with '{ $other }'
usage-given-twice = the argument '{ $arg }' cannot be used multiple times
usage-value-required = a value is required for '{ $arg }' but none was supplied
usage-more-help = For more information, try '--help'.
usage-split-caption = the caption "{ $first } …" was read as separate words at its spaces: a caption with spaces must be in quotes
    .hint = { $command }

word-width = width
word-height = height
size-unknown = unknown page size `{ $given }`; use one of a4-portrait, a4-landscape, slide-16x9, square, banner, icon, or WIDTHxHEIGHT in pixels such as 768x512
size-unknown-near = unknown page size `{ $given }` (did you mean `{ $near }`?); use one of a4-portrait, a4-landscape, slide-16x9, square, banner, icon, or WIDTHxHEIGHT in pixels such as 768x512
size-not-multiple-of-8 = { $side } { $value } is not a multiple of 8; try { $lower } or { $upper }
size-too-small = { $side } must be at least 64 pixels, not { $value }; try 512
size-too-large = { $side } { $value } is larger than { $max } pixels; models repeat their subject at such sizes, try the model's native size and upscale

model-empty = --model is empty
    .hint = give a preset ({ $presets }), a Hugging Face repo id such as stabilityai/sd-turbo, or a folder path
model-unknown = unknown model "{ $name }": it is not a preset, not a Hugging Face repo id and not a folder
    .hint =
        --model takes one of three forms:
          a preset: { $presets }
          a Hugging Face repo in diffusers layout: org/name or org/name@revision
          a local diffusers-layout folder: ./my-model, /data/models/sd15 or ~/models/sd15
model-folder-not-found = model folder { $path } does not exist
    .hint = check the path, or give a preset ({ $presets }) or a Hugging Face repo id
model-not-in-cache = offline: { $repo }@{ $revision } is not downloaded, or not completely ({ $file } is missing from the Hugging Face cache at { $cache })
    .hint = on a PC with internet run `reportfig models export { $fetch } E:\reportfig-models`{ $size ->
        [unknown] {""}
       *[other] {" "}(about { $size })
    }, bring that folder here and run `reportfig models import E:\reportfig-models`; or run without --offline (and HF_HUB_OFFLINE unset)
model-repo-not-found = Hugging Face repo { $repo } has no revision "{ $revision }", or the repo does not exist or is private
    .hint = { $token ->
        [sent] check the spelling on huggingface.co; the access token in HF_TOKEN was sent, so check that its account can see this repo and that the token has not expired
       *[none] check the spelling on huggingface.co; for a private or gated repo set HF_TOKEN to an access token
    }
network-name-not-found = { $detail }
network-no-connection = { $detail }
network-proxy = { $detail }
network-interrupted = { $detail }
network-other = { $detail }
hub-request-connection = a connection
hub-request-file-list = the file list
hub-request-revision-ref = the revision's ref
hub-request-file = { $file }
model-network = could not reach the Hugging Face hub at { $endpoint } to get { $what }: { $detail }
    .hint = check the internet connection (behind a proxy, set HTTPS_PROXY, e.g. HTTPS_PROXY=http://proxy.example:8080; a mirror: HF_ENDPOINT). A PC without internet gets models from one that has it: `reportfig models export NAME E:\reportfig-models` there, `reportfig models import E:\reportfig-models` here; then run with --offline
model-fetch-offline = --offline: `models fetch` needs the internet
    .hint = run it without --offline and with HF_HUB_OFFLINE unset

outline-unreadable = cannot read the outline { $path }: { $reason }
    .hint = check the path and that the file exists and is readable
outline-not-utf8 = { $path }:{ $line }: the outline is not UTF-8 text
    .hint = save it as UTF-8 (in Excel: "CSV UTF-8"; in Notepad: Encoding "UTF-8")
outline-caption-too-long = { $path }:{ $line }: the caption is { $chars } characters long, over the limit of { $max }: "{ $start }…"
    .hint = shorten it to one sentence; put longer text in the report itself
outline-bad-english = { $path }:{ $line }: en="{ $value }" is not an English caption
    .hint = en= gives the English the model reads instead of a translation, e.g. {"{"}en="Bus stop in front of Pohang City Hall"{"}"}
outline-bad-seed = { $path }:{ $line }: seed "{ $value }" is not a whole number from 0 to 18446744073709551615
    .hint = write it like seed=7
outline-unknown-setting = { $path }:{ $line }: unknown setting "{ $key }" in {"{"}…{"}"}
    .hint = the settings are { $known }, written like {"{"}style=isometric-city seed=7{"}"}

outline-too-large = the outline { $path } is larger than { $limit } MB, far more than any report needs
    .hint = check that this is the outline you meant; split a very long list into several outlines
outline-too-many-figures = { $path }:{ $line }: the outline lists more than { $limit } figures, far more than any report needs
    .hint = check that this is the outline you meant; split a very long list into several outlines
outline-control-character = { $path }:{ $line }: the line contains an invisible control character ({ $code }), which would reach the terminal and the review page
    .hint = delete it or retype the line (it usually comes from copying out of another program)
batch-not-ours = { $path } was not made by reportfig ({ $reason ->
        [manifest] it is not a reportfig manifest
        [page] there is no reportfig manifest.json beside it
       *[picture] it has no reportfig metadata
    }), so the batch will not replace it
    .hint = move or rename that file, choose another folder with --out, or add --force to replace it
pipeline-not-finite = the { $stage ->
        [text-encoder] text encoder
        [unet] UNet (step { $step } of { $total })
       *[vae] VAE decoder
    } produced values that are not numbers (NaN or infinity), so the picture would be blank
    .hint = the model's weights may be damaged: download the model again; if it uses f16, try f32
batch-out-not-folder = --out { $path } is a file, not a folder
    .hint = give a folder for the figures (it is created if missing), or leave --out away to use the figures folder beside the outline
style-import-bad-field = { $file }: style { $entry }: `{ $field }` is { $found ->
        [number] a number
        [bool] true or false
        [list] a list
       *[object] an object
    }, not text
    .hint = write it in double quotes, for example "{ $field }": "watercolor, { "{" }prompt{ "}" }"
scheduler-unknown-class = the model's scheduler_config.json names the scheduler "{ $class }", which reportfig does not have
    .hint = choose a sampler with --sampler, one of { $samplers }

fetch-offline-flag = cannot download { $name } with --offline: downloading needs the internet
    .hint = run it without --offline; to bring models to a PC without internet, run `reportfig models export { $name } E:\reportfig-models` on a PC with internet and `reportfig models import E:\reportfig-models` on this one
export-failed = could not write the model bundle { $dir }
import-failed = could not install the model bundle { $dir }
export-local-folder = { $path } is a folder on this PC, not a downloaded model: there is nothing to export
    .hint = copy the folder itself to the other PC and pass it with --model; `models export` takes presets and Hugging Face repo ids
bundle-not-a-bundle = { $dir } is not a model bundle: it has no reportfig-bundle.json
    .hint = give the folder `reportfig models export` wrote; if the export was interrupted, run it again
bundle-not-empty = { $dir } already holds other files and is not a model bundle
    .hint = export into a new or empty folder, or into an earlier bundle (which is then added to)
bundle-bad-manifest = { $file }: { $detail }
    .hint = the bundle was damaged or not written by reportfig; export it again; nothing was installed
bundle-missing = { $file } is missing from the bundle
    .hint = the bundle is incomplete (did copying stop early?); copy the whole folder again or export it again; nothing was installed
bundle-wrong-size = { $file } is { $found } bytes, but the bundle's list says { $expected }
    .hint = the file was cut short or changed (did copying stop early?); copy the bundle again or export it again; nothing was installed
bundle-wrong-hash = { $file } does not match the checksum (SHA-256) in the bundle's list
    .hint = the file is damaged; copy the bundle again or export it again; nothing was installed
export-needs-folder = `models export` needs the models to put in the bundle and, last, the folder to write it to
    .hint = for example: reportfig models export sd-turbo E:\reportfig-models
outline-word-processor = { $path } is a { $kind } document; outlines are Markdown (.md), text (.txt) or CSV
    .hint = save the report's headings as plain text (in Word or HWP: Save As, "Text" .txt) and give that file; to write a Word document with the figures, add --docx FILE to the batch
batch-docx-not-ours = { $path } was changed after the batch wrote it (or the batch did not write it), so the batch will not replace it
    .hint = save your edited document under another name, or give --docx another file name; add --force to replace it
# Single-file checkpoints (--model FILE.safetensors).
model-not-a-folder = { $path } is a file but not a .safetensors checkpoint
    .hint = --model takes a single-file checkpoint only as .safetensors (SD 1.x, SD 2.x or SDXL base); convert a .ckpt once with a trusted tool, or give a diffusers-layout folder
model-config-not-a-folder = --model-config { $value } is a file
    .hint = --model-config takes a diffusers-layout folder, a preset ({ $presets }) or a Hugging Face repo id whose configs describe the checkpoint
model-config-without-checkpoint = --model-config is only for a single-file checkpoint, and { $model } is not one
    .hint = leave --model-config out, or give --model a .safetensors checkpoint
checkpoint-unreadable = cannot read the checkpoint { $path }: { $reason }
    .hint = check the path and that the file is readable
checkpoint-truncated = the checkpoint { $path } is cut off: its header needs { $needed } bytes but the file has { $len }
    .hint = the download stopped early; download the file again
checkpoint-not-safetensors = { $path } is not a safetensors file ({ $detail })
    .hint = only .safetensors checkpoints are read; convert a .ckpt once with a trusted tool
checkpoint-unknown-arch = the checkpoint { $path } matches no architecture reportfig knows (SD 1.x, SD 2.x, SDXL base): { $problem ->
        [empty] it holds no tensors
        [diffusers-network] it holds one network saved by diffusers, not a whole checkpoint
        [no-text-encoder] it has a UNet but no text encoder
        [no-vae] it has no VAE (first_stage_model.*)
        [lone-second-encoder] it has SDXL's second text encoder but not the first
       *[no-unet] it has no UNet (model.diffusion_model.*)
    }; its keys start with: { $keys }
    .hint = give --model an SD 1.x, SD 2.x or SDXL base checkpoint in the original single-file layout, or a diffusers-layout folder
checkpoint-unsupported = the checkpoint { $path } is { $what ->
        [inpainting] an inpainting model (9 input channels)
       *[refiner] an SDXL refiner
    }, which cannot make pictures from captions here
    .hint = use an SD 1.x, SD 2.x or SDXL base text-to-image checkpoint
checkpoint-config-mismatch = the checkpoint { $path } is { $arch }, but the configs in { $config } are for { $kind }
    .hint = give --model-config a folder or preset of the checkpoint's own family (sd15, sd21 or sdxl), or leave it out to use that family's preset
checkpoint-missing-tensor = the checkpoint { $path } has no tensor { $key }, which the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } needs
    .hint = the file is incomplete or of another architecture than the configs: download it again, or give --model-config the folder or preset of the model it was made from
checkpoint-shape-mismatch = in the checkpoint { $path }, tensor { $key } has shape { $got } but the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } config in { $config } needs { $expected }
    .hint = the checkpoint was made from another architecture: give --model-config the folder or preset of the model it was made from
checkpoint-config-not-cached = offline: the checkpoint { $path } is { $arch }, and the configs of that family's preset { $preset } ({ $repo }) are not in the Hugging Face cache
    .hint = run once without --offline (only its config and tokenizer files are downloaded, under 10 MB), or give --model-config a diffusers-layout folder of the same family
lora-wrong-family = { $path } is a LoRA for { $lora }, but the model is { $model }
    .hint = use a LoRA made for { $model }, or choose a { $lora } model with --model
lora-read = cannot read the LoRA { $path }: { $reason }
    .hint = check the path; a LoRA is one .safetensors file (download it again if it may be incomplete)
lora-empty = { $path } holds no LoRA weights (no lora_down/lora_up or lora_A/lora_B tensors)
    .hint = check that it is a LoRA, not a model checkpoint or a textual-inversion embedding
lora-unknown-keys = { $path } has { $count } key(s) that are not LoRA weights reportfig can merge, such as `{ $keys }`
    .hint = reportfig reads kohya/A1111 LoRAs (lora_unet_…, lora_te_…) and diffusers/peft LoRAs (unet.….lora_A.weight); LoHa, LoKr and DoRA files are not supported
lora-incomplete = { $path }: `{ $key }` has only half of its LoRA pair, so the file is incomplete
    .hint = the file may be damaged; download it again
lora-bad-pair = { $path }: `{ $key }` has a down weight { $down } and an up weight { $up }, which do not form a LoRA pair
    .hint = the file may be damaged; download it again
lora-unmatched = { $path } has { $count } part(s) that the model's { $target ->
        [unet] UNet
        [text-encoder] text encoder
       *[text-encoder-2] second text encoder
    } does not have, such as `{ $keys }`
    .hint = the LoRA was made for a different model; use a LoRA made for this model's family
lora-shape = { $path }: `{ $key }` changes a weight of shape { $model } with a LoRA of shape { $lora }
    .hint = the LoRA was made for a model of another size; use one made for this model
lora-bad-metadata = { $path }: { $what }
    .hint = the file's header does not describe a LoRA reportfig can merge
lora-spec-empty = --lora is empty
    .hint = give a .safetensors file or a Hugging Face repo id, optionally with a weight: --lora my-style.safetensors:0.8
lora-spec-bad-weight = the LoRA weight `{ $weight }` in `{ $spec }` is not a number between -{ $max } and { $max }
    .hint = write FILE_OR_REPO:WEIGHT, such as city.safetensors:0.8 (without a weight it is 1.0)
lora-spec-not-found = the LoRA file { $path } does not exist
    .hint = check the path, or give a Hugging Face repo id such as latent-consistency/lcm-lora-sdv1-5
lora-spec-not-safetensors = { $path } is not a .safetensors file
    .hint = reportfig reads LoRAs only as .safetensors files
lora-spec-ambiguous = the folder { $path } holds { $count } .safetensors files, so which LoRA is meant is unclear
    .hint = name the file itself: --lora { $path }/FILE.safetensors
lora-spec-hub-missing-file = the Hugging Face repo { $repo } has no { $file }
    .hint = name the LoRA file inside the repo: --lora { $repo }/FILE.safetensors (see the repo's file list)

# Titles typeset on covers (--title) and `reportfig retitle`.
title-empty = the title is empty
    .hint = give the text after --title in quotes, e.g. --title "2026 Transport Plan"
title-too-long = the { $part ->
        [subtitle] subtitle
       *[title] title
    } "{ $text }" does not fit in { $lines } lines of a { $width }-pixel-wide picture, even at the smallest size ({ $px } px)
    .hint = shorten it (about { $chars } Korean characters fit on a line) or move the details to --subtitle; a larger --size also gives more room
title-missing-glyphs = the { $font } title font cannot draw { $chars }
    .hint = remove those characters from the title, or use --title-font sans (it has every Hangul syllable)
title-too-small = the picture ({ $width }x{ $height }) is too small for a title
    .hint = titles need a picture of at least 64x64 pixels; choose a larger --size
retitle-missing = { $path } does not exist
    .hint = give the titled picture (cover.png) or its plain one (cover.untitled.png)
retitle-not-ours = { $path } was not made by reportfig (it has no reportfig metadata), so it cannot be retitled
    .hint = retitle works on pictures made by `reportfig generate`; to put a title on one, generate it with --title
retitle-untitled-missing = { $path } is titled, but its plain picture { $untitled } is missing
    .hint = a title can only be changed on the plain picture kept beside it; put { $untitled } back, or generate the picture again with the same --seed
retitle-same-file = { $path } is the plain picture itself; the titled picture must go to another file
    .hint = choose another name with -o
retitle-would-replace = { $path } exists and is not a titled copy of this picture, so it is left as it is
    .hint = choose another name with -o, or pass --force to replace it
batch-cover-no-heading = { $path }:{ $line }: {"{"}cover{"}"} makes this figure the cover, titled with the outline's first heading, but the outline has no heading
    .hint = start the outline with a heading such as "# 2026 Transport Plan", give the title with --title, or remove {"{"}cover{"}"}
retitle-other-folder = { $path } is not in the folder of its plain picture { $untitled }
    .hint = a titled picture stays beside its plain one, so its title can be changed again; give -o a name in that folder, and copy the file elsewhere afterwards

shard-bad = --shard { $value }: { $problem }
    .hint = write it as I/N with 1 <= I <= N, for example --shard 1/4 … --shard 4/4, or --shard auto in a Slurm array or Kubernetes Indexed Job
shard-auto-bad = --shard { $value }: { $problem }
    .hint = --shard auto reads SLURM_ARRAY_TASK_ID (a Slurm array job, sbatch --array=1-N) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with --shard auto/N where N is its completions); elsewhere write --shard I/N
shard-not-two-numbers = expected two numbers separated by /
shard-not-a-number = "{ $given }" is not a whole number
shard-no-shards = the number of shards must be at least 1
shard-from-zero = shards are numbered from 1, not 0
shard-no-such = shard { $index } does not exist when there are { $count }
shard-no-scheduler = neither SLURM_ARRAY_TASK_ID (Slurm) nor JOB_COMPLETION_INDEX (Kubernetes) is set
shard-two-schedulers = both SLURM_ARRAY_TASK_ID (Slurm) and JOB_COMPLETION_INDEX (Kubernetes) are set, so the shard is ambiguous
shard-slurm-incomplete = SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX are
shard-slurm-list = the Slurm array is a list, not a range, so a task's position cannot be known
shard-kubernetes-count = JOB_COMPLETION_INDEX gives this task's index but not how many tasks there are
shard-bad-variable = { $variable }="{ $value }" is not a whole number
shard-index-out-of-range = { $variable }={ $index } is not one of the { $count } tasks
shard-count-disagrees = the command says { $given } shards but the Slurm array has { $scheduler } tasks
tiny-decoder-needs-decoder-tiny = --tiny-decoder names the decoder for drafts; add --decoder tiny to make one
tiny-decoder-unknown = there is no tiny decoder "{ $name }" and no folder of that name
    .hint = the presets are { $presets } (without --tiny-decoder the one for the model's family is used); or give a folder or a hub repo (org/name) in diffusers' AutoencoderTiny layout
draft-decoder-mismatch = the tiny decoder reads { $decoder } latent channels but this model makes { $model }
    .hint = use a tiny decoder of the model's family: madebyollin/taesd for SD 1.x/2.x, madebyollin/taesdxl for SDXL

# Image to image (--init-image)
init-image-unreadable = cannot read the starting picture { $path }: { $reason }
init-image-not-image = { $path } is not a PNG or JPEG picture ({ $reason }); save it as .png or .jpg and try again
init-image-too-small = the starting picture { $path } is { $width }x{ $height }; it needs at least { $min } pixels on each side
strength-out-of-range = --strength { $strength } must be above 0 and at most 1 (0.3 keeps most of the picture, 0.6 is usual, 1 keeps only its layout's hint)
strength-leaves-no-step = { $steps } steps at --strength { $strength } leave no step to run; use --strength { $least } or more, or more --steps
strength-needs-init-image = --strength only applies to a starting picture; add --init-image FILE

outline-image-absolute = { $path }:{ $line }: image "{ $value }" is an absolute path
    .hint = give the picture's path from the outline's folder, such as image=photos/harbour.jpg, with the picture inside that folder
outline-image-leaves-folder = { $path }:{ $line }: image "{ $value }" leaves the outline's folder (..)
    .hint = put the picture in the outline's folder (or a folder inside it) and write its path from there, such as image=photos/harbour.jpg
outline-image-is-folder = { $path }:{ $line }: image "{ $value }" is a folder, not a picture
    .hint = name the picture file itself, such as image=photos/harbour.jpg
outline-image-missing = { $path }:{ $line }: image "{ $value }" does not exist
    .hint = check the spelling; the path is read from the outline's folder, such as image=photos/harbour.jpg
outline-image-unreadable = { $path }:{ $line }: image "{ $value }" cannot be read
    .hint = check that the picture can be opened and is not locked by another program
outline-image-links-outside = { $path }:{ $line }: image "{ $value }" is a link to a file outside the outline's folder
    .hint = copy the picture itself into the outline's folder
outline-bad-strength = { $path }:{ $line }: strength "{ $value }" must be a number above 0 and at most 1
    .hint = write it like {"{"}image=photos/harbour.jpg strength=0.5{"}"}; 0.6 is usual
outline-image-in-upload = { $path }:{ $line }: image "{ $value }": the outline was uploaded without its pictures
    .hint = upload one ZIP file holding the outline and its pictures (paths as in image=), or remove image= (and strength=) from that figure
outline-image-not-in-zip = { $path }:{ $line }: image "{ $value }" is not in the uploaded ZIP beside the outline
    .hint = put the picture in the ZIP at that path from the outline's folder (image=photos/harbour.jpg means a folder photos next to the outline), or correct the name
outline-strength-without-image = { $path }:{ $line }: strength= and mask= only apply to a starting picture
    .hint = add image=FILE to the same settings, e.g. {"{"}image=photos/harbour.jpg strength=0.5{"}"}
outline-bad-layout = { $path }:{ $line }: title layout "{ $value }" is not one of top, bottom, center, band
    .hint = write it like {"{"}cover layout=band{"}"}
outline-layout-without-cover = { $path }:{ $line }: layout= only applies to a cover
    .hint = add cover to the same settings, e.g. {"{"}cover layout=band{"}"}
mask-size-differs = the mask { $path } is { $mask } but the starting picture is { $picture }; they must be the same size
    .hint = paint the mask over the picture itself (white where it should change, black where it stays) and save it at the same size
inpainting-model-needs-mask = this is an inpainting model: it repaints a region of a picture and needs a starting picture and a mask
    .hint = give --init-image FILE --mask FILE, or use an ordinary model to draw from a caption alone
batch-bad-figure = { $path }:{ $line }: { $text }
batch-markdown-needs-markdown = --markdown needs a Markdown outline (.md), but this is a { $format } outline
    .hint = drop --markdown; the review page index.html shows the figures with their captions
batch-busy = another batch is making figures into { $folder } right now
    .hint = wait for it to finish (or stop it) and run again; to split one batch over several processes or PCs use --shard
output-folder-not-writable = cannot write { $path }: the folder { $folder } does not take new files ({ $reason })
    .hint = choose a folder you can save into with -o, or ask for write permission on this one
vary-problem-shape = expected NAME=V1,V2 (an axis name, =, then values separated by commas)
vary-problem-axis = there is no axis "{ $name }"; the axes are { $axes }
vary-problem-no-values = no values after { $name }=
vary-problem-steps = "{ $value }" is not a number of steps from 1 to 1000
vary-problem-guidance = "{ $value }" is not a guidance value (a number, 0 or more; 7.5 is usual, turbo models use 0)
vary-problem-strength = "{ $value }" is not a strength (above 0 and at most 1; 0.6 is usual)
output-write-failed = could not finish writing { $file } in the folder { $folder }: { $why ->
        [full] the disk is full or a file-size limit was reached
        [gone] the folder is no longer there (a network drive or USB stick may have been disconnected)
        [denied] permission was refused
       *[other] { $detail }
    }
    .hint = nothing half-written was left there and an earlier file of that name is as it was; free some space or reconnect the drive and run again, or choose another folder with -o
batch-write-failed = the batch stopped: could not write { $file } in the folder { $folder }: { $why ->
        [full] the disk is full or a file-size limit was reached
        [gone] the folder is no longer there (a network drive or USB stick may have been disconnected)
        [denied] permission was refused
       *[other] { $detail }
    }
    .hint = the figures already made and the manifest are kept, and the next run makes only what is missing; free some space or reconnect the drive, or choose another folder with --out
config-too-large = { $path } is too large for a { $what } ({ $size }); a config file is a few KB
    .hint = check that this is the model's own file, not a link to another one; if the model is damaged, download it again

# Rarer model-source, config, load and translator errors (their English is the engine's and
# the source module's own text, as it was before these had a translation).
model-bad-repo-id = "{ $value }" is not a valid Hugging Face repo id: { $reason }
    .hint = write it as org/name or org/name@revision, for example stabilityai/sd-turbo@main
model-folder-missing-file = model folder { $folder } is missing { $file }
    .hint = { model-layout-help }
model-layout-help = A diffusers-layout folder holds model_index.json, scheduler/scheduler_config.json, text_encoder/ (config.json, model.safetensors), tokenizer/ (tokenizer.json, or vocab.json + merges.txt + tokenizer_config.json), unet/ and vae/ (config.json, diffusion_pytorch_model.safetensors), and for SDXL also text_encoder_2/ and tokenizer_2/.
model-bad-model-index = { $file } is not a valid model_index.json: { $detail }
    .hint = it must be the JSON file diffusers writes next to the component folders
model-pickle-weights = { $model }: { $file } holds PyTorch pickle weights; only .safetensors weights are supported
    .hint =
        convert the model once with diffusers:
          python -c "from diffusers import DiffusionPipeline as P; P.from_pretrained('{ $model }').save_pretrained('my-model', safe_serialization=True)"
        then pass --model ./my-model
model-bad-shard-index = { $file }: { $detail }
    .hint = only sharded weights whose index lists .safetensors files in the same folder are supported; merge the shards with diffusers' save_pretrained(max_shard_size="100GB")
model-gated = Hugging Face repo { $repo } is gated: access was refused
    .hint = { $token ->
        [sent] accept the model's licence on its page at huggingface.co with the account of the access token in HF_TOKEN (it was sent), or check that the token has not expired
       *[none] accept the model's licence on its page at huggingface.co, then set HF_TOKEN to an access token of that account
    }
model-repo-missing-file = Hugging Face repo { $repo } is not in diffusers layout: it has no { $file }
    .hint = { model-layout-help }
model-hub-answer = the Hugging Face hub at { $endpoint } answered { $detail } for { $what }
    .hint = try again later; if HF_ENDPOINT is set, check that it points at a Hugging Face hub
model-hub-lied = the Hugging Face hub at { $endpoint } sent { $detail }
    .hint = nothing was written outside the cache and no partial file was kept; if HF_ENDPOINT is set, point it at a hub you trust, or unset it to use huggingface.co
model-download-locked = another download of { $file } is under way (lock file { $lock })
    .hint = wait for it to finish, or delete the lock file if no other reportfig is running
model-fetch-local = { $path } is a local folder: there is nothing to fetch
    .hint = `models fetch` takes a preset ({ $presets }) or a Hugging Face repo id
model-no-cache-dir = cannot find the Hugging Face cache folder: no home folder is known
    .hint = set HF_HOME (or HF_HUB_CACHE) to a writable folder
model-not-downloaded = { $name } is not downloaded, so it cannot be loaded
    .hint = run `reportfig models fetch { $name }` first
config-parse = { $path } is not a valid { $what } (line { $line }, column { $column }): { $detail }
    .hint = the file may be damaged or replaced by another; download or copy the model again
config-unsupported = { $path }: { $detail }
pipeline-weights = cannot load the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } weights from { $path }: { $detail }
    .hint = the file may be incomplete or corrupt; delete it and download it again (reportfig models fetch), or check that the folder is a diffusers-layout model
pipeline-missing-weight = the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } weights { $path } have no tensor { $name }, which the network needs
    .hint = the file is incomplete or belongs to another model: delete it and download it again (reportfig models fetch), or check that the folder is a diffusers-layout model
pipeline-weight-shape = in the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } weights { $path }, tensor { $name } has shape { $got } but the config in { $config } needs { $expected }
    .hint = the weights do not match config.json; check that both come from the same model and that the download is complete
pipeline-build = the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } in { $path } cannot be built: { $detail }
pipeline-build-mismatch = the { $component ->
        [unet] UNet
        [vae] VAE
        [text-encoder-2] second text encoder
       *[text-encoder] text encoder
    } in { $path } cannot be built: { $detail }
    .hint = the weights do not match config.json; check that both come from the same model and that the download is complete
translator-empty = --translator is empty
    .hint = give a translator preset ({ $presets }), a Hugging Face repo id or a folder
translator-unknown = unknown translator "{ $name }": it is not a preset, not a Hugging Face repo id and not a folder
    .hint = translator presets: { $presets }; or a repo such as Helsinki-NLP/opus-mt-ko-en, or a folder holding config.json, source.spm, target.spm, vocab.json and the weights
translator-folder-not-found = translator folder { $path } does not exist
    .hint = check the path, or give a translator preset ({ $presets })
translator-incomplete = { $dir } is not a complete translator folder: { $file } is missing (a Marian translator needs config.json, generation_config.json, model.safetensors or pytorch_model.bin, source.spm, target.spm, vocab.json and tokenizer_config.json)

# A CSV outline's header and rows (an outline saved from Excel).
outline-csv-unknown-column = { $path }:1: unknown column "{ $column }"
    .hint = the columns are caption, style, size, seed, file, negative, en, cover, layout, image, strength, mask (only caption is required)
outline-csv-no-caption = { $path }:1: the header has no "caption" column
    .hint = the first line must name the columns, for example: caption,style,seed
outline-csv-duplicate-column = { $path }:1: column "{ $column }" appears twice
    .hint = keep one of them
outline-csv-row = { $path }:{ $line }: { $problem }
    .hint = check the quotes and the number of commas on that line; a cell containing a comma must be in double quotes

# `styles import`: a file that is not a style list, or files already there.
style-import-csv = { $file }: line { $line }: { $detail }
style-import-json = { $file }: line { $line }: not a style list: { $detail }; expected a JSON list such as [{"{"}"name": "...", "prompt": "... {"{"}prompt{"}"} ...", "negative_prompt": "..."{"}"}]
style-import-csv-header = { $file }: the CSV has no `name` and `prompt` columns (found: { $found }); A1111's styles.csv starts with the line name,prompt,negative_prompt
style-import-empty = { $file } has no styles to import
style-import-unknown-format = cannot tell the format of { $file }; name it .csv (A1111 styles.csv) or .json (Fooocus / InvokeAI styles)
style-import-exists = { $paths } { $count ->
        [one] already exists; pass --force to replace it, or import into another folder
       *[other] already exist; pass --force to replace them, or import into another folder
    }
file-cannot-write = cannot write { $path }: { $reason }

batch-duplicate-file = { $path }: lines { $first } and { $second } both write { $file }
    .hint = give one of them a different file= name

# The Hugging Face cache could not be read or written; the action is one of read, write,
# create, lock, download into the cache.
model-io = could not { $action } { $path }: { $reason }
