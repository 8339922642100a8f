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
