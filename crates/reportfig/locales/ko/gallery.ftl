# 일괄 작업 갤러리(그림 폴더의 index.html): 보고서에 그림을 넣는 담당자가 검토하는 쪽입니다.

gallery-kicker = 개요 파일 { $outline }의 그림
gallery-summary = 그림 { $count }개. 그림을 누르면 원래 크기로 열립니다. { $outdated ->
    [0] {""}
   *[other] 이 폴더에 개요에 없는 이전 그림이 { $outdated }개 있습니다: 쪽 맨 아래를 보세요.
}
gallery-legend-title = 설정 용어 풀이
gallery-term-seed = 시드
gallery-legend-seed = 그림을 처음 그리기 시작하는 번호입니다. 시드와 설정이 같으면 똑같은 그림이 다시 나오고, 시드를 바꾸면 같은 설명으로 다른 그림이 나옵니다.
gallery-term-steps = 단계
gallery-legend-steps = 그림을 다듬는 횟수입니다. 많을수록 오래 걸리며, 터보 모델은 1~4단계면 충분합니다.
gallery-term-guidance = 지침 강도
gallery-legend-guidance = 그림이 설명 문장을 얼마나 그대로 따를지입니다. 높을수록 문장을 더 곧이곧대로 따르며, 터보 모델은 0을 씁니다.
gallery-term-sampler = 샘플러
gallery-legend-sampler = 그림을 다듬는 방식입니다. "모델 기본값"은 모델이 권하는 방식을 뜻합니다.
gallery-term-snippet = "이 그림 쓰기"
gallery-legend-snippet = {"{"}seed=7 style=watercolor-cityscape{"}"} 같은 설정 묶음을 복사합니다. 개요에서 그 그림 줄 끝에 붙여 넣으면 줄 순서가 바뀌어도 다음 실행에서 지금 그림이 그대로 유지됩니다.
gallery-figure-number = 그림 { $n }.
gallery-figure-stale = 예전 설정으로 만든 그림입니다: 일괄 작업을 다시 실행하면 새로 만듭니다
gallery-field-english = 사용한 영어 문장
gallery-english-given = 개요에 직접 적은 문장
gallery-english-translated = { $by } 번역
gallery-field-style = 화풍
gallery-no-style = 화풍 없음
gallery-field-settings = 설정
gallery-field-file = 파일
gallery-field-prompt = 전체 프롬프트
gallery-field-negative = 피한 요소
gallery-field-model = 모델
gallery-details = 모델에 전달한 내용 전체
gallery-size = { $size } 픽셀
gallery-seed = 시드 { $seed }
gallery-steps = 단계 { $steps }
gallery-guidance = 지침 강도 { $guidance }
gallery-sampler = 샘플러 { $name }
gallery-sampler-model = 샘플러는 모델 기본값
gallery-button-copy = 그림 복사
gallery-button-download = 내려받기
gallery-button-use-this = 이 그림 쓰기 (복사)
gallery-snippet-hint = 이 그림을 그대로 두려면 개요에서 그림 줄 끝에 위 설정 묶음을 붙여 넣으세요.
gallery-missing-title = 아직 만들지 않은 그림 ({ $count }개)
gallery-outdated-title = 이전 그림: 지금 개요에는 없음 ({ $count }개)
gallery-outdated-explain = 설명 문장이 바뀌거나 빠지기 전에 만든 그림입니다. 지우지 않고 남겨 두었으니 보고서에는 넣지 마시고, 필요 없으면 직접 지워 주세요.
gallery-status-copied = 그림을 복사했습니다. 문서에 붙여 넣으세요(Ctrl+V).
gallery-status-copied-text = { "{" }text{ "}" }을(를) 복사했습니다. 개요의 그림 줄 끝에 붙여 넣으세요.
gallery-status-copy-failed = 이 브라우저에서는 복사가 허용되지 않았습니다. 그림을 마우스 오른쪽 단추로 누르고 "이미지 복사"를 고르세요.
gallery-status-copy-text-failed = 복사하지 못했습니다. 설정 묶음을 선택한 뒤 Ctrl+C를 누르세요.
help-batch-names = 그림 파일 이름에 한글을 어떻게 쓸지 정합니다: korean은 한글 그대로(01-버스-전용차로.png, 윈도우, 한글(HWP), 워드에서 열림), roman은 한글을 쓸 수 없는 프로그램을 위해 로마자로 씁니다(01-beoseu-jeonyongcharo.png).
help-generate-names = 기본 파일 이름에 한글을 어떻게 쓸지 정합니다: korean은 한글 그대로, roman은 로마자로 씁니다.
gallery-init-image = 시작 그림 { $file } (변경 정도 { $strength })
