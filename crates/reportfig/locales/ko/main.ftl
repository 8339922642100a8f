# reportfig의 한국어 메시지. 공무원이 보고서를 쓰며 읽는 말로 씁니다: 보고서, 그림, 표지.
# 기술 용어(시드, 단계)는 처음 나올 때 쉬운 말로 풀어 씁니다.

lang-unknown = '{ $value }'은(는) 지원하지 않는 언어입니다
    .hint = --lang ko(한국어) 또는 --lang en(English)으로 지정해 주세요

label-error = 오류:
label-warning = 주의:
label-hint = 도움말:
label-because = 원인:

untranslated = { $text }

style-category-background = 배경 (background)
style-category-cover = 표지 (cover)
style-category-culture = 문화 (culture)
style-category-icon = 아이콘 (icon)
style-category-illustration = 일러스트 (illustration)
style-category-infographic = 인포그래픽 (infographic)
style-category-photo = 사진 (photo)
style-category-technical = 기술 도면 (technical)
style-category-theme = 주제별 (theme)
style-mark-user = [내 화풍]
style-mark-user-replaces = [내 화풍, 기본 화풍을 대신함]

bundle-repo-line = { $name } ({ $repo }): 파일 { $files }개, { $size }
bundle-exported = 묶음을 { $dir }에 만들었습니다 (모두 { $size }). 폴더 전체를 인터넷이 안 되는 컴퓨터로 복사한 뒤, 그 컴퓨터에서 reportfig models import 폴더 를 실행하세요.
bundle-imported = { $dir }에서 설치했습니다. 이제 이 모델들을 인터넷 없이(--offline) 쓸 수 있습니다.

word-yes = 예
word-no = 아니요
models-col-model = 모델
models-col-translator = 번역 모델
models-col-repo = 저장소
models-col-licence = 사용 허가
models-col-size = 그림 크기
models-col-download = 내려받을 양
models-col-cached = 받음
models-list-default = { $name } (기본)
models-list-translators = 번역 모델 (한국어 설명을 영어 프롬프트로 옮김):
models-list-non-commercial = { $names }은(는) 비영리 사용만 허가됩니다 ({ $licences }). 보도자료 등 공개 자료에 쓰기 전에 확인하세요.
models-list-footer = 내려받은 파일 보관 폴더: { $cache }
    미리 내려받기: `reportfig models fetch 이름`. 인터넷이 안 되는 컴퓨터에는, 인터넷이 되는 컴퓨터에서 `reportfig models export 이름... 폴더`, 그 컴퓨터에서 `reportfig models import 폴더`.
models-fetched = { $model } ({ $repo }@{ $revision }, 커밋 { $commit })을(를) 내려받았습니다: 파일 { $files }개, { $size }
models-translator-fetched = { $name }을(를) 내려받았습니다
models-lora-fetched = 함께 쓰는 LoRA { $repo }/{ $file }도 내려받았습니다

style-show-title = {"  "}제목:       { $title }
style-show-title-ko = {"              "}{ $title }
style-show-category = {"  "}분류:       { $category }
style-show-description = {"  "}설명:       { $text }
style-show-source = {"  "}출처:       { $origin }
style-show-replaces = {"  "}참고:       이 화풍이 { $origin }의 화풍을 대신합니다
style-show-palette = {"  "}색상:       { $colours } ({ $words })
style-show-overrides = {"  "}모델별 설정: { $families }
style-show-for = { $family }에서 설명 "{ $caption }"(으)로 만들면:
style-show-prompt = {"  "}프롬프트:   { $text }
style-show-negative = {"  "}피할 요소:  { $text }
style-show-no-negative = {"  "}피할 요소:  (없음)
style-show-settings = {"  "}크기: { $size }   단계: { $steps }   지침 강도: { $guidance }   샘플러: { $sampler }
style-show-loras = {"  "}LoRA:       { $loras }
style-show-tokens = {"  "}토큰: { $window }개 중 { $tokens }개
style-show-note = {"  "}참고: { $text }
style-origin-builtin = 기본 제공 { $file }
style-check-error = 오류: { $text }
style-check-warning = 경고: { $text }
style-check-ok = { $file }: 통과 (경고 { $warnings }개)
style-check-failed = { $file }: 오류 { $errors }개, 경고 { $warnings }개
style-import-done = 화풍 { $count }개를 { $folder }에 가져왔습니다:

style-diag-detail = { $place }: { $text }
style-diag-detail-field = { $place }: `{ $field }` 항목: { $text }
toml-type-text = 글자
toml-type-integer = 정수
toml-type-float = 소수
toml-type-bool = 참/거짓 값
toml-type-date = 날짜
toml-type-list = 목록
toml-type-table = 표(table)
style-diag-expected-text = 따옴표로 감싼 글자가 와야 하는데 { $found }이(가) 있습니다
style-diag-steps-range = 단계 수(steps)는 1부터 { $max } 사이여야 합니다({ $value }은(는) 범위 밖). 대부분의 화풍은 20~40, 터보 모델은 1~4를 씁니다
style-diag-steps-type = 30처럼 단계 수를 정수로 적어야 하는데 { $found }이(가) 있습니다
style-diag-guidance-type = 7.0처럼 숫자를 적어야 하는데 { $found }이(가) 있습니다
style-diag-guidance-range = 지침 강도(guidance)는 0부터 { $max } 사이여야 합니다. 대부분의 화풍은 5~8, 터보 모델은 0을 씁니다
style-diag-sampler = `{ $given }`(이)라는 샘플러는 없습니다. { $names } 중 하나를 적어 주세요(`default`는 모델의 기본값을 씁니다)
style-diag-loras-type = ["city-flat.safetensors:0.8"]처럼 목록을 적어야 하는데 { $found }이(가) 있습니다
style-diag-lora = { $problem }. 파일_또는_저장소 또는 파일_또는_저장소:가중치 꼴로 적어 주세요
style-diag-slot-twice = `{ $slot }`이(가) { $times }번 나옵니다. 설명 문구가 들어갈 자리에 한 번만 적어 주세요
style-diag-prompt-empty = 프롬프트가 비어 있습니다. 화풍의 핵심어를 적고, 설명 문구가 들어갈 자리에 `{ $slot }`을(를) 적어 주세요
style-diag-no-slot = `{ $slot }`이(가) 없어 설명 문구가 맨 앞에 ", "와 함께 붙습니다. 자리를 정하려면 `{ $slot }`을(를) 적어 주세요
style-diag-unknown-key = 모르는 항목입니다. 화풍 파일에 쓸 수 있는 항목: { $allowed }
style-diag-unknown-key-near = 모르는 항목입니다(혹시 `{ $near }`?). 화풍 파일에 쓸 수 있는 항목: { $allowed }
style-diag-family-table = prompt, negative_prompt, steps, guidance, sampler, size, loras가 든 `[{ $key }]` 표가 와야 하는데 { $found }이(가) 있습니다
style-diag-title-en-missing = 영어 제목이 없습니다. `title = {"{"} en = "Flat vector", ko = "플랫 벡터" {"}"}`처럼 적어 주세요
style-diag-title-type = `{"{"} en = "...", ko = "..." {"}"}`이(가) 와야 하는데 { $found }이(가) 있습니다
style-diag-palette-type = ["#1f4e79", "#f4b183"]처럼 색 목록을 적어야 하는데 { $found }이(가) 있습니다
style-diag-palette-hex = `{ $given }`은(는) 16진수 색이 아닙니다. #1f4e79처럼 #RRGGBB로 적어 주세요
style-diag-toml = TOML 형식이 아닙니다: { $detail }. 이 줄의 따옴표와 괄호를 확인해 주세요
style-diag-name-kebab = `{ $given }`은(는) 케밥 표기 이름(영어 소문자, 숫자, 붙임표)이 아닙니다. `{ $suggestion }`(으)로 해 보세요
style-diag-no-prompt = `prompt`가 없습니다. 화풍의 핵심어를 적고 설명 문구 자리에 `{ $slot }`을(를) 적어 주세요. 예: prompt = "flat vector illustration of { $slot }, clean shapes"
style-diag-name-file = 화풍 이름은 `{ $name }`인데 파일 이름은 `{ $stem }.toml`입니다. `--style { $name }`으로 찾을 수 있지만, 파일 이름을 같게 바꾸면 헷갈리지 않습니다
style-diag-name-from-file = `name`이 없어 파일 이름 `{ $name }`을(를) 씁니다
style-diag-no-name = `name`이 없습니다. name = "my-style"처럼 적어 주세요(영어 소문자, 숫자, 붙임표)
style-diag-no-title = `title`이 없어 `styles list`에 `{ $name }`(으)로 나옵니다. title = {"{"} en = "...", ko = "..." {"}"}을(를) 적어 주세요
style-diag-no-ko-title = 한국어 제목이 없습니다. `styles list`에 나오도록 `title` 안에 ko = "..."를 적어 주세요
style-diag-no-category = `category`가 없어 `other`(기타) 분류에 들어갑니다
style-diag-no-description = `description`이 없습니다. 이 화풍을 언제 쓰는지 한 줄로 적어 주세요
style-diag-negative-text = 피할 요소(negative_prompt)가 글자를 막지 않습니다. 모델은 글자를 제대로 쓰지 못하니, 글자가 필요한 화풍이 아니면 `text, letters, watermark, logo`를 넣어 주세요
style-diag-unreadable = 파일을 읽을 수 없어({ $reason }) 건너뛰었습니다
style-diag-skipped = 이 화풍은 건너뛰고 나머지 화풍을 불러왔습니다
style-diag-replaces = `{ $name }` 화풍이 { $origin }의 화풍을 대신합니다
style-diag-budget-alone = { $families }에서는 화풍만으로 { $window }토큰 한도를 넘어 끝부분이 늘 잘립니다({ $dropped }). 프롬프트를 줄여 주세요
style-diag-budget-caption = { $families }에서는 설명 "{ $caption }"(이)가 들어가면 { $dropped }이(가) 밀려납니다. 프롬프트를 줄이면 설명 문구가 들어갈 자리가 늘어납니다
