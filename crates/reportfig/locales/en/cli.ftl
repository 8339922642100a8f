# Help texts of the command line (clap), by the convention
#   help-<command>                 a command's one-line description
#   help-<command>-examples        the examples under a command's help
#   help-<command>-<long-option>   one argument (positionals by their name)
# Subcommands join names (help-styles-list-json); the top level is help-main. Options that
# several commands share are help-common-<long-option>, used when a command has no own text.

help-flag-help = Print help
help-flag-help-long = Print help (see a summary with '-h')
help-flag-help-more = Print help (see more with '--help')
help-flag-version = Print version
help-help = Print this message or the help of the given subcommand(s)
help-main-lang = Language of messages and help: ko (한국어) or en (default: from LANG, else English)

help-common-style = Style name from the library, e.g. flat-vector (see `reportfig styles list`); stack styles with a+b
help-common-size = Page size: a4-portrait, a4-landscape, slide-16x9, square, banner, icon, or pixels such as 768x512
help-common-exact-ratio = Crop the result to the exact page ratio
help-common-dpi = Record the print resolution in the PNG (pHYs), so Word and HWP place it at its physical size, e.g. --dpi 300 (50 to 1200)
help-common-print = Fill a page: a4 (210 x 297 mm), a5 (148 x 210 mm) or slide (13.33 x 7.5 in); generated at the model's size in the page's shape, then enlarged to the page at --dpi (default 300, slide 150)
help-common-upscaler = With --print: a learned ×4 upscaler that enlarges before the final resize: realesr-general-x4v3 (Real-ESRGAN compact, BSD-3, 5 MB, downloaded once, or found in the data folder's upscalers/realesr-general-x4v3/), a folder with its .pth or model.safetensors, or the .pth file; without it a plain Lanczos resize
help-common-steps = Number of denoising steps (default: the style's or the model's; turbo 1-4, others 20-50)
help-common-guidance = How strongly the image follows the prompt, e.g. 7.5 (0 or 1 turns guidance off; turbo models use 0)
help-common-sampler = Sampler: euler, euler-a, ddim, pndm, dpmpp-2m, dpmpp-2m-karras, lcm, ddpm
help-common-negative = What to keep out of the image, e.g. "text, watermark, crowds" (no effect on turbo models)
help-common-translator = Translator for captions with Korean: a preset (opus-mt-ko-en, opus-mt-tc-big-ko-en), a Hugging Face repo id or a local folder
help-common-no-translate = Send captions to the model as typed, without translating Korean
help-common-glossary = Your own glossary (TOML: "포항시" = "Pohang City"), on top of the built-in one
help-common-no-glossary = Translate without any glossary (neither built-in nor your own)
help-common-model = A preset (sd15-lcm, sd-turbo, sdxl-turbo, sd15, sd21, sdxl, sdxl-lightning, lcm-dreamshaper), a Hugging Face repo id in diffusers layout (org/name or org/name@revision), a local diffusers-layout folder, or a single-file checkpoint (.safetensors: SD 1.x, SD 2.x, SDXL base)
help-common-model-config = For a single-file --model: the diffusers-layout folder, preset or repo whose configs, tokenizers and scheduler describe it (default: the preset of its detected family; only their small files are downloaded)
help-common-offline = Use only files already downloaded (also: HF_HUB_OFFLINE=1)
help-common-lora = A LoRA merged into the model: a .safetensors file (kohya/A1111 or diffusers) or a Hugging Face repo id (org/name or org/name/file.safetensors), with an optional weight after a colon (default 1.0); may be given more than once
help-common-device = Where to compute
help-common-dtype = Precision of the weights in memory: f32 (exact) or f16 (half the weight memory; on the CPU the calculations stay f32, so images change only slightly). bf16 is for GPUs
help-common-styles-dir = Extra folder of user styles (besides the user config folder)
help-common-title = A title typeset on the picture, in Korean or English (Stable Diffusion cannot write Hangul, so reportfig sets it); the plain picture is kept beside it as NAME.untitled.png
help-common-subtitle = A smaller line under the title (needs --title)
help-common-title-layout = Where the title goes: top, bottom, center, or band (a full-width band over the bottom third)
help-common-title-font = Typeface of the title: sans (bold Gothic, every Hangul syllable) or serif (bold Myeongjo, the 2,350 common syllables)

help-main = Illustrations for reports from short captions (Stable Diffusion, on your own computer)
    .long =
    Illustrations for reports from short captions.

    reportfig runs Stable Diffusion models on your own computer (no GPU needed) and writes
    PNG files you can put into reports, press releases and slides. Every PNG records how
    it was made, so it can be made again exactly.
help-main-examples =
    Examples:
      reportfig generate "Smart traffic signals at a busy intersection" -o cover.png
      reportfig batch reports/2026-transport/outline.md --style isometric-city
      reportfig compare "Senior welfare centre" --styles flat-vector,paper-cut
      reportfig styles list
      reportfig models list

    Run `reportfig COMMAND --help` for the details of one command.
help-main-quiet = Print nothing but results and errors (no progress bars or notes)

help-generate = Make one image from one caption
help-generate-examples =
    Examples:
      reportfig generate "Smart traffic signals at a busy city intersection"
      reportfig generate "2025 budget by sector" --style flat-vector -o budget.png
      reportfig generate "City hall at night" --size slide-16x9 -o figures/
      reportfig generate "Riverside park at dawn" --model sd15 --seed 42
      reportfig generate "City hall" --model ./models/my-finetune
      reportfig generate "City hall square" --title "2026년 업무 보고" -o cover.png
      reportfig generate "City hall" --init-image hall.jpg --strength 0.5
help-generate-caption = What the image should show, in plain words (in quotes)
help-generate-seed = Seed of the random noise: the same seed and settings give the same image (default: a random seed, printed so you can reuse it)
help-generate-output = Output PNG file, or a folder to put it in (default: a name made from the caption and the seed, in this folder)
help-generate-force = Replace the output file if it exists
help-generate-json = Print the result as JSON on stdout

help-batch = Illustrate every section of a report outline (Markdown, text or CSV)
help-batch-examples =
    Examples:
      reportfig batch reports/2026-transport/outline.md --style isometric-city
      reportfig batch outline.md --dry-run     # see the plan, make nothing
      reportfig batch outline.md --docx report-figures.docx
      reportfig batch outline.md --title "2026 Transport Plan" --title-layout band
      reportfig batch outline.csv --out figures --force
      reportfig batch outline.md --shard 1/4   # one of four machines

    Press Ctrl-C once to stop after the current figure; run the same command
    again to continue where it stopped.
help-batch-outline = The report outline: Markdown (.md), plain text (.txt, one caption per line) or CSV
help-batch-seed = Base seed: figure n gets seed N + n - 1, so figure 1 matches `generate --seed N`
help-batch-out = Folder for the figures (default: figures/ next to the outline)
help-batch-force = Regenerate every figure, even those already made with the same settings
help-batch-resume = Skip figures already made with the same settings (the default)
help-batch-shard = Make only part I of N of the outline, e.g. 1/4 (for several machines or processes); auto takes the part from a Slurm array or Kubernetes Indexed Job (auto/N there)
help-batch-dry-run = Show what would be made, without loading a model
help-batch-markdown = Also write outline.illustrated.md: a copy of a Markdown outline with the images in it
help-batch-docx = Also write a Word document (opens in Word and HWP): the outline's headings, each figure under its heading at the page width, numbered captions
help-batch-cover = Make the outline's first figure its cover, titled with the first heading (as {"{"}cover{"}"} on that line does)
help-batch-title = The cover's title (default: the outline's first heading); when no figure has {"{"}cover{"}"}, the first figure becomes the cover. The plain picture is kept beside it as NAME.untitled.png
help-batch-subtitle = A smaller line under the cover's title (with --title or the first heading)
help-batch-title-layout = Where covers put their title: top, bottom, center, or band (a full-width band over the bottom third); a cover's own {"{"}cover layout=band{"}"} wins
help-batch-json = Print the summary as JSON on stdout

help-compare = One caption in several styles (or settings) side by side, on one labelled sheet
help-compare-examples =
    Examples:
      reportfig compare "Senior welfare centre" --styles flat-vector,paper-cut
      reportfig compare "Flood response drill" --styles press-photo --seeds 1,2
      reportfig compare "Bike lanes" --vary steps=1,2,4 --vary sampler=euler,lcm
      reportfig compare "City hall" --init-image hall.jpg --vary strength=0.4,0.8
help-compare-captions = The caption(s) to compare; each becomes a row
help-compare-styles = Styles to compare, comma-separated, e.g. flat-vector,paper-cut (one column each)
help-compare-seeds = Seeds, comma-separated, e.g. 1,2,3 (one row each)
help-compare-vary = Another setting to compare: steps=1,2,4 | guidance=0,1.5 | sampler=euler,dpmpp-2m | strength=0.4,0.6,0.8 (with --init-image) | model=sd-turbo,sdxl-turbo (may be given more than once)
help-compare-output = Output sheet PNG (default: named after the caption); single images go next to it
help-compare-font = A TTF/OTF font for the labels (default: the bundled Nanum Gothic, which covers Korean)
help-compare-force = Replace existing files

help-retitle = Change the title of a picture made with --title, without generating it again
help-retitle-examples =
    Examples:
      reportfig retitle cover.png --title "2026 Transport Plan (final)"
      reportfig retitle cover.png --title "교통 계획" --title-layout band
help-retitle-file = The titled picture (cover.png) or its plain picture (cover.untitled.png)
help-retitle-title = The new title
help-retitle-output = Where to write the titled picture (default: the titled file of FILE)
help-retitle-force = Replace the output file even if it is not a titled copy of this picture
help-retitle-json = Print the result as JSON on stdout

help-translate = Show the English prompt each Korean caption becomes, without making images
help-translate-examples =
    Examples:
      reportfig translate "포항시 버스 정류장" "영일대 해수욕장의 야경"
      reportfig translate "시청 앞 광장" --json
      reportfig translate "행정복지센터" --glossary my-terms.toml

    Batches and comparisons translate the same way; check the wording here first.
help-translate-captions = One or more captions (each in quotes); one English line is printed per caption
help-translate-offline = Use only downloaded models, never the network
help-translate-json = Print a JSON array of {"{"}caption, english, translated_by{"}"} instead of lines

help-serve = Serve the model on a web address, for colleagues who do not use a terminal (JSON API)
help-serve-examples =
    Examples:
      reportfig serve
      reportfig serve --model sd15-lcm --data /srv/reportfig
      reportfig serve --addr 0.0.0.0:7860 --token "$(openssl rand -hex 16)"

    The model loads once; images are made one at a time, in turn between computers, and
    kept in the data folder. The README lists the API.
help-serve-addr = Address to listen on: 127.0.0.1:PORT is this computer only (no token needed); any other address needs a token
help-serve-token = The token every request must send (Authorization: Bearer TOKEN), at least 16 characters; also REPORTFIG_TOKEN (default on a network address: a new one, printed once)
help-serve-data = Folder where finished images and their records are kept; nothing is written outside it (default: the user data folder)
help-serve-queue = How many images may wait; more are refused with "try again later" (429)
help-serve-per-client = How many of the waiting images may be one computer's, so one person cannot fill the queue; more are refused with "try again later" (429)
help-serve-instance = This server's name among several sharing one --data folder behind a proxy, in the records of the jobs it makes (default: the host name, a pod's name in Kubernetes)

help-styles = Look at the style library, check or import style files
help-styles-examples =
    Examples:
      reportfig styles list
      reportfig styles show flat-vector-infographic
      reportfig styles check my-style.toml
      reportfig styles import styles.csv

help-styles-list = All styles, grouped by category
help-styles-list-examples =
    Examples:
      reportfig styles list
      reportfig styles list --json > styles.json
help-styles-list-json = Print the list as JSON on stdout

help-styles-show = One style and the prompt it makes from a sample caption
help-styles-show-examples =
    Examples:
      reportfig styles show flat-vector-infographic
      reportfig styles show paper-cut --caption "Library opening" --model sdxl
help-styles-show-name = The style's name, e.g. flat-vector-infographic (see `reportfig styles list`)
help-styles-show-caption = The caption to compose with
help-styles-show-model = Model preset whose family decides overrides and sizes

help-styles-check = Check a style file for mistakes before using it
help-styles-check-examples =
    Example:
      reportfig styles check my-style.toml
help-styles-check-file = The style file (.toml) to check

help-styles-import = Convert A1111 styles.csv or Fooocus/InvokeAI style JSON into reportfig style files
help-styles-import-examples =
    Examples:
      reportfig styles import styles.csv
      reportfig styles import fooocus_styles.json --out my-styles
help-styles-import-file = An A1111 styles.csv or a Fooocus/InvokeAI style .json file
help-styles-import-out = Folder to write the .toml files into (default: your user styles folder)
help-styles-import-force = Replace existing style files of the same name

help-models = The model presets: which exist, which are downloaded; download ahead of time
help-models-examples =
    Examples:
      reportfig models list
      reportfig models fetch sd-turbo

help-models-list = The model and translator presets, their licences and whether they are downloaded
help-models-list-examples =
    Example:
      reportfig models list
help-models-list-json = Print the list as JSON on stdout

help-models-fetch = Download a model or translator now, for later use without internet
help-models-fetch-examples =
    Examples:
      reportfig models fetch sd-turbo
      reportfig models fetch opus-mt-ko-en      # the Korean-English translator
      reportfig models fetch stabilityai/sdxl-turbo
help-models-fetch-name = A preset (sd15-lcm, sd-turbo, sdxl-turbo, sd15, sd21, sdxl, sdxl-lightning, lcm-dreamshaper; translators opus-mt-ko-en, opus-mt-tc-big-ko-en; upscaler realesr-general-x4v3) or a Hugging Face repo id

help-models-list-offline = Only look at the cache (this command never downloads anyway)
help-models-fetch-offline = Refused (downloading needs the internet); the error then says how to bring models to a PC without internet

help-models-export = Copy downloaded models into a folder (a USB stick) for PCs without internet
    .long = Copy models into a bundle folder (a USB stick, a shared drive) for PCs without internet. What is not downloaded yet is downloaded first. The Korean-English translator goes in too, unless --no-translator. On the PC without internet, `reportfig models import FOLDER` checks every file and installs them; then run with --offline.
help-models-export-examples =
    Examples:
      reportfig models export sd-turbo E:\reportfig-models
      reportfig models export sd15 sdxl-turbo /media/usb/reportfig-models
      reportfig models import E:\reportfig-models   # on the PC without internet
help-models-export-items = Presets, Hugging Face repo ids or translators to include (downloaded first if missing), then the bundle folder to write (new, empty, or an earlier bundle to add to)
help-models-export-no-translator = Leave out the Korean-English translator
help-models-export-offline = Only take what is already downloaded; never use the internet

help-models-import = Install a bundle that `models export` wrote, so the models work without internet
    .long = Install a bundle that `models export` wrote, so the models work without internet. Every file is first checked against the bundle's list of sizes and checksums (SHA-256); a damaged or incomplete bundle installs nothing and names the file.
help-models-import-examples =
    Example:
      reportfig models import E:\reportfig-models
help-models-import-dir = The bundle folder (it holds reportfig-bundle.json)


# Section headings of the help page. English uses clap's own; these are for the record and
# for languages whose template is ours.
help-heading-usage = Usage:
help-heading-arguments = Arguments:
help-heading-commands = Commands:
help-heading-options = Options:
help-default-value = default: { $value }
help-possible-values = possible values: { $values }
help-common-decoder = What turns the result into the picture: full (the model's own decoder, the final picture) or tiny (a preview decoder, TAESD: a draft in a fraction of the time)
help-common-tiny-decoder = The tiny preview decoder for --decoder tiny: taesd (SD 1.x/2.x) or taesdxl (SDXL), downloaded once; a hub repo or a folder in diffusers' AutoencoderTiny layout [default: the one for the model]
help-common-init-image = Start from this picture (PNG or JPEG: a photo of the place, the city's logo) instead of noise; it is fitted to the size and keeps its layout
help-common-strength = How much of the starting picture is repainted, above 0 and at most 1 [default: 0.6]: 0.3 keeps most of it, 1 keeps only a hint of its layout
help-common-mask = With --init-image: repaint only the white part of this picture (same size; black is kept), e.g. to replace the sky or a sign
