# reportfig compare: 비교표의 그림 아래 표시, 풀이, 그리고 HTML 쪽.

compare-seed = 시드 { $seed }
compare-steps = 단계 { $steps }
compare-guidance = 지침 강도 { $guidance }
compare-sampler = 샘플러 { $name }
compare-sampler-default = 기본값
compare-no-style = (화풍 없음)
compare-header-many = 비교
compare-legend-title = 표시 풀이
compare-legend-seed = 시드: 그림을 처음 그리기 시작하는 번호입니다. 시드와 설정이 같으면 똑같은 그림이 다시 나옵니다.
compare-legend-steps = 단계: 그림을 다듬는 횟수입니다. 많을수록 세밀하지만 오래 걸립니다(터보 모델은 1~4단계).
compare-legend-guidance = 지침 강도: 그림이 설명 문장을 얼마나 그대로 따를지입니다(터보 모델은 0).
compare-legend-sampler = 샘플러: 그림을 다듬는 방식입니다.
compare-legend-model = 모델: 그림을 그린 이미지 모델입니다.
compare-page-title = 비교
compare-sheet-link = 비교표 전체를 그림 한 장으로 보기
compare-snippet-explain = 그림마다 아래에 파일 이름과 개요용 설정 묶음이 있습니다. 개요에서 그림 줄 끝에 설정 묶음을 붙여 넣으면 일괄 작업이 이 그림을 똑같이 만듭니다.
compare-button-use-this = 이 그림 쓰기 (복사)
compare-copied = 복사했습니다
compare-settings = 설정 전체
compare-note-flags = 일괄 작업 명령에 함께 쓸 설정: { $flags }
help-compare-names = 파일 이름에 한글을 어떻게 쓸지 정합니다: korean은 한글 그대로(윈도우, 한글(HWP), 워드에서 열림), roman은 한글을 쓸 수 없는 프로그램을 위해 로마자로 씁니다.
compare-strength = 변경 정도 { $strength }
compare-legend-strength = 변경 정도: 시작 그림을 얼마나 새로 그렸는지입니다. 0.3은 사진을 대부분 살리고, 1은 배치만 살짝 참고합니다.
compare-strength-needs-init-image = --vary strength는 시작 그림을 얼마나 바꿀지 비교합니다. --init-image 파일을 함께 지정해 주세요
