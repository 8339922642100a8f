# reportfig's messages in English. Each area of the interface may have its own file beside
# this one (listed in src/i18n.rs); the Korean file of the same name must have the same ids.

lang-unknown = unknown language '{ $value }'
    .hint = use --lang ko (한국어) or --lang en (English)
