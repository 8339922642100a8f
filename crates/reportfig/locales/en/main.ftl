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
