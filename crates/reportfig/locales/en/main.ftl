# reportfig's messages in English. Each area of the interface may have its own file beside
# this one (listed in src/i18n.rs); the Korean file of the same name must have the same ids.

lang-unknown = unknown language '{ $value }'
    .hint = use --lang ko (한국어) or --lang en (English)

# Words that start a line of output.
label-error = error:
label-warning = warning:
label-hint = hint:
label-because = because:

# A message the app has no translation for yet: its English text as it is.
untranslated = { $text }

# `styles list`: category headings and marks.
style-category-background = background
style-category-cover = cover
style-category-culture = culture
style-category-icon = icon
style-category-illustration = illustration
style-category-infographic = infographic
style-category-photo = photo
style-category-technical = technical
style-category-theme = theme
style-mark-user = [user]
style-mark-user-replaces = [user, replaces built-in]

bundle-repo-line = { $name } ({ $repo }): { $files } files, { $size }
bundle-exported = The bundle is in { $dir } ({ $size } in all). Copy the whole folder to the PC without internet and run there: reportfig models import FOLDER
bundle-imported = Installed from { $dir }. These models now work without internet (--offline).

word-yes = yes
word-no = no
models-col-model = MODEL
models-col-translator = TRANSLATOR
models-col-repo = REPO
models-col-licence = LICENCE
models-col-size = SIZE
models-col-download = DOWNLOAD
models-col-cached = DOWNLOADED
models-list-default = { $name } (default)
models-list-translators = Translators (Korean captions into English prompts):
models-list-non-commercial = Non-commercial use only: { $names } ({ $licences }). Check before using their pictures in published material.
models-list-footer = Cache: { $cache }
    Download ahead of time with `reportfig models fetch NAME`; for PCs without internet, `reportfig models export NAME... DIR` there and `reportfig models import DIR` here.
models-fetched = { $model } ({ $repo }@{ $revision }, commit { $commit }) is in the cache: { $files } files, { $size }
models-translator-fetched = { $name } is in the cache
models-lora-fetched = its LoRA { $repo }/{ $file } is in the cache too

style-show-title = {"  "}title:       { $title }
style-show-title-ko = {"               "}{ $title }
style-show-category = {"  "}category:    { $category }
style-show-description = {"  "}description: { $text }
style-show-source = {"  "}source:      { $origin }
style-show-replaces = {"  "}note:        this style replaces the one in { $origin }
style-show-palette = {"  "}palette:     { $colours } ({ $words })
style-show-overrides = {"  "}overrides:   { $families }
style-show-for = For { $family } with the caption "{ $caption }":
style-show-prompt = {"  "}prompt:   { $text }
style-show-negative = {"  "}negative: { $text }
style-show-no-negative = {"  "}negative: (none)
style-show-settings = {"  "}size: { $size }   steps: { $steps }   guidance: { $guidance }   sampler: { $sampler }
style-show-loras = {"  "}loras:    { $loras }
style-show-tokens = {"  "}tokens: { $tokens } of { $window }
style-show-note = {"  "}note: { $text }
style-origin-builtin = built-in { $file }
style-check-error = error: { $text }
style-check-warning = warning: { $text }
style-check-ok = { $file }: ok ({ $warnings ->
        [one] 1 warning
       *[other] { $warnings } warnings
    })
style-check-failed = { $file }: { $errors ->
        [one] 1 error
       *[other] { $errors } errors
    }, { $warnings ->
        [one] 1 warning
       *[other] { $warnings } warnings
    }
style-import-done = imported { $count } styles into { $folder }:

style-diag-detail = { $place }: { $text }
style-diag-detail-field = { $place }: field `{ $field }`: { $text }
toml-type-text = text
toml-type-integer = a whole number
toml-type-float = a decimal number
toml-type-bool = true/false
toml-type-date = a date
toml-type-list = a list
toml-type-table = a table
style-diag-expected-text = expected text in quotes, found { $found }
style-diag-steps-range = steps must be between 1 and { $max }, not { $value }; most styles use 20 to 40, turbo models 1 to 4
style-diag-steps-type = expected a whole number of steps such as 30, found { $found }
style-diag-guidance-type = expected a number such as 7.0, found { $found }
style-diag-guidance-range = guidance must be between 0 and { $max }; most styles use 5 to 8, turbo models 0
style-diag-sampler = unknown sampler `{ $given }`; use one of { $names } (`default` keeps the model's own)
style-diag-loras-type = expected a list such as ["city-flat.safetensors:0.8"], found { $found }
style-diag-lora = { $problem }; write FILE_OR_REPO or FILE_OR_REPO:WEIGHT
style-diag-slot-twice = `{ $slot }` appears { $times } times; write it once, where the caption goes
style-diag-prompt-empty = the prompt is empty; write the style's keywords with `{ $slot }` where the caption goes
style-diag-no-slot = no `{ $slot }`: the caption will be put in front, followed by ", "; write `{ $slot }` to choose its place
style-diag-unknown-key = unknown key; a style file knows { $allowed }
style-diag-unknown-key-near = unknown key (did you mean `{ $near }`?); a style file knows { $allowed }
style-diag-family-table = expected a table `[{ $key }]` with prompt, negative_prompt, steps, guidance, sampler, size or loras, found { $found }
style-diag-title-en-missing = the English title is missing; write `title = {"{"} en = "Flat vector", ko = "플랫 벡터" {"}"}`
style-diag-title-type = expected `{"{"} en = "...", ko = "..." {"}"}`, found { $found }
style-diag-palette-type = expected a list of colours such as ["#1f4e79", "#f4b183"], found { $found }
style-diag-palette-hex = `{ $given }` is not a hex colour; write #RRGGBB such as #1f4e79
style-diag-toml = not valid TOML: { $detail }; check quotes and brackets on this line
style-diag-name-kebab = `{ $given }` is not a kebab-case name (lower-case letters, digits and dashes); try `{ $suggestion }`
style-diag-no-prompt = no `prompt`; write the style's keywords with `{ $slot }` where the caption goes, e.g. prompt = "flat vector illustration of { $slot }, clean shapes"
style-diag-name-file = the style is called `{ $name }` but its file is `{ $stem }.toml`; `--style { $name }` will find it, renaming the file avoids confusion
style-diag-name-from-file = no `name`; using the file name `{ $name }`
style-diag-no-name = no `name`; add name = "my-style" (lower-case letters, digits and dashes)
style-diag-no-title = no `title`; `styles list` will show `{ $name }`; add title = {"{"} en = "...", ko = "..." {"}"}
style-diag-no-ko-title = no Korean title; add ko = "..." inside `title` so `styles list` shows it
style-diag-no-category = no `category`; the style is listed under `other`
style-diag-no-description = no `description`; add one line saying when to use this style
style-diag-negative-text = the negative prompt does not keep text out; models cannot spell, so add `text, letters, watermark, logo` unless the style wants lettering
style-diag-unreadable = cannot read the file ({ $reason }); it was skipped
style-diag-skipped = this style was skipped; the other styles are loaded
style-diag-replaces = style `{ $name }` replaces the one in { $origin }
style-diag-budget-alone = on { $families } the style alone passes the { $window }-token window, so its end is always cut ({ $dropped }); shorten the prompt
style-diag-budget-caption = on { $families } the caption "{ $caption }" pushes out: { $dropped }; a shorter prompt leaves more room for captions
