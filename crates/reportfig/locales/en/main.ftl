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
